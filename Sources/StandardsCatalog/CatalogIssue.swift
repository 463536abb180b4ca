/// One problem in a catalog file, printed the way compilers print them so editors can jump to it.
public struct CatalogIssue: Sendable, Equatable, Comparable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int
    public let message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }

    public static func < (lhs: CatalogIssue, rhs: CatalogIssue) -> Bool {
        (lhs.file, lhs.line, lhs.column, lhs.message) < (rhs.file, rhs.line, rhs.column, rhs.message)
    }
}

/// The release could not be loaded; `issues` lists every problem found, in file order.
public struct CatalogInvalid: Error, CustomStringConvertible {
    public let issues: [CatalogIssue]
    public var description: String {
        issues.map(\.description).joined(separator: "\n") + "\n\(issues.count) problem(s) found."
    }
}

/// Collects issues across files while a release is read.
final class IssueLog {
    private(set) var issues: [CatalogIssue] = []

    func add(_ file: String, _ line: Int, _ column: Int, _ message: String) {
        issues.append(CatalogIssue(file: file, line: line, column: column, message: message))
    }
}
