public import AccreditationCore
public import Foundation
import Yams

/// Reads catalog release folders (a `release.yaml` plus one YAML file per domain), checking the shape of
/// every file and the rules that span files, and reporting every problem at once.
public enum CatalogLoader {
    public static let releaseFileName = "release.yaml"
    /// Larger files are refused before parsing (a real domain file is a few dozen KiB).
    public static let maximumFileSize = 16 << 20
    /// Deeper nesting is refused before parsing: the YAML composer recurses once per level.
    static let maximumNesting = 64

    /// Loads one release folder; throws `CatalogInvalid` listing every problem when anything is wrong.
    public static func load(folder: String) throws -> CatalogRelease {
        let (release, issues) = read(folder: folder)
        guard let release, issues.isEmpty else { throw CatalogInvalid(issues: issues) }
        return release
    }

    /// Release folders at `path`: the folder itself when it holds `release.yaml`, else every folder below
    /// it (to a depth of three) that does.
    public static func releaseFolders(under path: String) throws -> [String] {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw CatalogInvalid(issues: [CatalogIssue(file: path, line: 1, column: 1, message: "no such folder")])
        }
        if fm.fileExists(atPath: join(path, releaseFileName)) { return [path] }
        var found: [String] = []
        func walk(_ folder: String, depth: Int) {
            guard depth < 3, let entries = try? fm.contentsOfDirectory(atPath: folder) else { return }
            for entry in entries.sorted() where !entry.hasPrefix(".") {
                let child = join(folder, entry)
                guard fm.fileExists(atPath: child, isDirectory: &isFolder), isFolder.boolValue else { continue }
                if fm.fileExists(atPath: join(child, releaseFileName)) { found.append(child) } else { walk(child, depth: depth + 1) }
            }
        }
        walk(path, depth: 0)
        guard !found.isEmpty else {
            throw CatalogInvalid(issues: [CatalogIssue(file: path, line: 1, column: 1, message: "no catalog release found: a release folder holds \(releaseFileName)")])
        }
        return found
    }

    /// Reads a release folder, returning what could be read and every issue found.
    public static func read(folder: String) -> (CatalogRelease?, [CatalogIssue]) {
        let log = IssueLog()
        let releasePath = join(folder, releaseFileName)
        let domainFiles = domainFiles(in: folder)

        var header: ReleaseHeader?
        if FileManager.default.fileExists(atPath: releasePath) {
            if let root = parse(releasePath, log: log) {
                header = ReleaseReader(reader: NodeReader(file: releasePath, log: log)).read(root)
            }
        } else {
            log.add(releasePath, 1, 1, "missing: every release folder needs a \(releaseFileName)")
        }
        if domainFiles.isEmpty {
            log.add(folder, 1, 1, "the release has no domain files")
        }

        let context = DomainContext(header: header)
        var domains: [Domain] = []
        for file in domainFiles {
            guard let root = parse(file, log: log) else { continue }
            if let domain = DomainReader(reader: NodeReader(file: file, log: log), context: context).read(root) {
                domains.append(domain)
            }
        }
        context.checkSupersedesCycles(log: log)

        let issues = log.issues.sorted()
        guard let header, issues.isEmpty else { return (nil, issues) }
        return (CatalogRelease(
            id: header.id, version: header.version, title: header.title, effective: header.effective,
            status: header.status, pathways: header.pathways, scoringScales: header.scales,
            references: header.references, domains: domains
        ), [])
    }

    /// Every `.yaml` or `.yml` file of a release folder but `release.yaml`, in name order.
    static func domainFiles(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && $0 != releaseFileName }
            .sorted()
            .map { join(folder, $0) }
    }

    /// Reads and composes one file, refusing what would be unsafe or pointless to parse.
    static func parse(_ path: String, log: IssueLog) -> Node? {
        guard let data = FileManager.default.contents(atPath: path) else {
            log.add(path, 1, 1, "cannot be read")
            return nil
        }
        guard data.count <= maximumFileSize else {
            log.add(path, 1, 1, "is \(data.count) bytes; catalog files are limited to \(maximumFileSize >> 20) MiB")
            return nil
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            let (line, column, byte) = firstInvalidUTF8(data)
            log.add(path, line, column, String(format: "is not valid UTF-8 (byte 0x%02X); save the file as UTF-8", byte))
            return nil
        }
        if let (line, column, message) = structuralProblem(text) {
            log.add(path, line, column, message)
            return nil
        }
        do {
            // No implicit typing: every scalar stays text and NodeReader converts what it expects. The
            // default resolver runs regular expressions on every scalar, which dominated large catalogs.
            let parser = try Parser(yaml: text, resolver: .basic)
            guard let node = try parser.singleRoot() else {
                log.add(path, 1, 1, "is empty")
                return nil
            }
            // The parser owns the anchors that nodes point to weakly; keep it alive while they are read.
            return withExtendedLifetime(parser) { AnchoredNode.detach(node, log: log, file: path) }
        } catch let error as YamlError {
            if case .duplicatedKeysInMapping = error, let repeats = DuplicateKeys.locate(in: text, file: path) {
                for found in repeats { log.add(path, found.line, found.column, found.message) }
                return nil
            }
            let (line, column, message) = describe(error)
            log.add(path, line, column, message)
            return nil
        } catch {
            log.add(path, 1, 1, "cannot be parsed: \(error)")
            return nil
        }
    }

    /// Cheap checks on the raw text that keep the parser away from input built to exhaust it.
    static func structuralProblem(_ text: String) -> (Int, Int, String)? {
        var line = 1
        var flowDepth = 0
        var atLineStart = true
        var indent = 0
        var column = 0
        for scalar in text.unicodeScalars {
            column += 1
            switch scalar {
            case "\n":
                line += 1
                column = 0
                indent = 0
                atLineStart = true
                continue
            case " " where atLineStart:
                indent += 1
                if indent > maximumNesting * 8 {
                    return (line, column, "is indented more than \(maximumNesting * 8) columns; catalog files nest at most \(maximumNesting) levels")
                }
                continue
            case "\t" where atLineStart:
                return (line, column, "YAML syntax error: tabs cannot indent YAML; use spaces")
            case "?" where atLineStart:
                return (line, column, "complex mapping keys ('?') are not allowed in catalog files")
            case "[", "{":
                flowDepth += 1
                if flowDepth > maximumNesting {
                    return (line, column, "nests brackets more than \(maximumNesting) levels deep")
                }
            case "]", "}":
                flowDepth = max(0, flowDepth - 1)
            default:
                break
            }
            atLineStart = false
        }
        return nil
    }

    static func describe(_ error: YamlError) -> (Int, Int, String) {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let detail = context.map { "\(problem) \($0.text)" } ?? problem
            return (mark.line, mark.column, "YAML syntax error: \(detail)")
        case let .duplicatedKeysInMapping(duplicates, context):
            // Only when DuplicateKeys could not locate the repeats: Yams marks the first occurrence.
            return (context.mark.line, context.mark.column, "duplicate key '\(duplicates.joined(separator: "', '"))' in one mapping (this is its first occurrence; it appears again below)")
        case let .reader(problem, offset, _, _):
            return (1, (offset ?? 0) + 1, "cannot be read as YAML: \(problem)")
        default:
            return (1, 1, "YAML error: \(error)")
        }
    }

    /// Where the first byte that breaks UTF-8 sits, for the error message.
    static func firstInvalidUTF8(_ data: Data) -> (line: Int, column: Int, byte: UInt8) {
        let bytes = [UInt8](data)
        var line = 1
        var column = 1
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length = lead < 0x80 ? 1 : lead >> 5 == 0b110 ? 2 : lead >> 4 == 0b1110 ? 3 : lead >> 3 == 0b11110 ? 4 : 0
            guard length > 0, index + length <= bytes.count,
                  bytes[(index + 1)..<(index + length)].allSatisfy({ $0 >> 6 == 0b10 }) else {
                return (line, column, lead)
            }
            if lead == 0x0A { line += 1; column = 1 } else { column += 1 }
            index += length
        }
        return (1, 1, 0)
    }

    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}

/// Detects aliases while the parser is alive (their anchors are weak references), replacing anchored
/// nodes with an empty scalar so nothing downstream walks a shared subtree twice.
enum AnchoredNode {
    static func detach(_ node: Node, log: IssueLog, file: String) -> Node {
        var reported = Set<String>()
        func visit(_ node: Node) -> Node {
            let anchor: Anchor? = switch node {
            case let .scalar(scalar): scalar.anchor
            case let .mapping(mapping): mapping.anchor
            case let .sequence(sequence): sequence.anchor
            case .alias: nil
            }
            if let anchor {
                if reported.insert(anchor.rawValue).inserted {
                    log.add(file, node.mark?.line ?? 1, node.mark?.column ?? 1,
                            "YAML anchors and aliases (&\(anchor.rawValue), *\(anchor.rawValue)) are not allowed in catalog files")
                }
                return Node("", Tag(.null))
            }
            switch node {
            case let .mapping(mapping):
                return .mapping(Node.Mapping(mapping.map { (visit($0.key), visit($0.value)) }, mapping.tag, mapping.style, mapping.mark))
            case let .sequence(sequence):
                return .sequence(Node.Sequence(sequence.map(visit), sequence.tag, sequence.style, sequence.mark))
            default:
                return node
            }
        }
        return visit(node)
    }
}
