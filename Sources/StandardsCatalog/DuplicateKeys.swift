import Yams

/// Yams refuses a mapping that repeats a key, but points at the first occurrence, and an editor needs
/// the repeat. So the file is parsed again with the reported key renamed (its first character replaced
/// by a private-use character, which keeps every position) until it composes, and the repeats are then
/// read from the tree, each at its own position.
enum DuplicateKeys {
    /// Each round is a full parse; past this many repeated keys the parser's own report stands.
    static let maximumRounds = 16

    struct Repeat: Equatable {
        let line: Int
        let column: Int
        let message: String
    }

    /// The second and later occurrences of every repeated key, in file order; nil when they cannot be
    /// located.
    static func locate(in text: String, file: String) -> [Repeat]? {
        var scalars = Array(text.unicodeScalars)
        var renamed: [Unicode.Scalar: String] = [:]
        for round in 0...maximumRounds {
            do {
                let parser = try Parser(yaml: String(String.UnicodeScalarView(scalars)), resolver: .basic)
                guard let root = try parser.singleRoot() else { return nil }
                let repeats = withExtendedLifetime(parser) { find(in: root, renamed: renamed, file: file) }
                return repeats.isEmpty ? nil : repeats.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
            } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
                guard round < maximumRounds, let name = duplicates.first,
                      var index = offset(line: context.mark.line, column: context.mark.column, in: scalars),
                      let marker = Unicode.Scalar(0xE000 + round) else { return nil }
                if scalars[index] == "\"" || scalars[index] == "'" { index += 1 }
                guard index < scalars.count, !["\"", "'", "\\", "\n", "\r"].contains(scalars[index]) else { return nil }
                scalars[index] = marker
                renamed[marker] = name
            } catch {
                return nil
            }
        }
        return nil
    }

    private static func find(in node: Node, renamed: [Unicode.Scalar: String], file: String) -> [Repeat] {
        switch node {
        case let .mapping(mapping):
            var keys: [String: [Node]] = [:]
            for key in mapping.keys {
                guard case let .scalar(scalar) = key else { continue }
                let name = scalar.string.unicodeScalars.first.flatMap { renamed[$0] } ?? scalar.string
                keys[name, default: []].append(key)
            }
            var repeats: [Repeat] = []
            for (name, nodes) in keys where nodes.count > 1 {
                let ordered = nodes.compactMap(\.mark).sorted { ($0.line, $0.column) < ($1.line, $1.column) }
                guard let first = ordered.first else { continue }
                let at = SourceLocation(file: file, line: first.line, column: first.column).short
                repeats += ordered.dropFirst().map {
                    Repeat(line: $0.line, column: $0.column, message: "duplicate key '\(name)' in one mapping (first at \(at)); keep one")
                }
            }
            return repeats + mapping.values.flatMap { find(in: $0, renamed: renamed, file: file) }
        case let .sequence(sequence):
            return sequence.flatMap { find(in: $0, renamed: renamed, file: file) }
        default:
            return []
        }
    }

    /// The index of the character at a 1-based line and column as libyaml counts them (columns in
    /// Unicode scalars; CR LF, CR, LF, NEL, LS and PS end a line).
    static func offset(line: Int, column: Int, in scalars: [Unicode.Scalar]) -> Int? {
        var currentLine = 1
        var currentColumn = 1
        var index = 0
        while index < scalars.count {
            if currentLine == line && currentColumn == column { return index }
            let scalar = scalars[index]
            if ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) {
                if scalar == "\r", index + 1 < scalars.count, scalars[index + 1] == "\n" { index += 1 }
                currentLine += 1
                currentColumn = 1
            } else {
                currentColumn += 1
            }
            index += 1
        }
        return nil
    }
}
