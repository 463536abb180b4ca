import Yams

/// A position in a catalog file.
struct SourceLocation: Sendable, Equatable {
    let file: String
    let line: Int
    let column: Int
    var short: String { "\(file.split(separator: "/").last.map(String.init) ?? file):\(line):\(column)" }
}

/// Reads typed values out of a composed YAML tree, reporting every mismatch with its location
/// instead of stopping at the first one.
struct NodeReader {
    let file: String
    let log: IssueLog

    func location(_ node: Node?) -> SourceLocation {
        SourceLocation(file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1)
    }

    func report(_ node: Node?, _ message: String) {
        let at = location(node)
        log.add(file, at.line, at.column, message)
    }

    /// Anchored nodes were already replaced (see `AnchoredNode`); an explicit alias node is refused too.
    func plain(_ node: Node) -> Bool {
        if case .alias = node {
            report(node, "YAML aliases are not allowed in catalog files")
            return false
        }
        return true
    }

    struct Fields {
        let node: Node
        let values: [String: Node]
        subscript(key: String) -> Node? { values[key] }
    }

    /// The keys of a mapping. Unknown keys and missing required keys are reported; `what` names the
    /// thing for messages ("indicator GOV-01").
    func fields(_ node: Node, _ what: String, required: [String], optional: [String] = []) -> Fields? {
        guard plain(node) else { return nil }
        guard case let .mapping(mapping) = node else {
            report(node, "\(what) must be a mapping of keys to values")
            return nil
        }
        var values: [String: Node] = [:]
        let known = Set(required + optional)
        for (key, value) in mapping {
            guard plain(key), case let .scalar(scalar) = key else {
                report(key, "keys in \(what) must be plain words")
                continue
            }
            guard known.contains(scalar.string) else {
                report(key, "unknown key '\(scalar.string)' in \(what); allowed: \((required + optional).joined(separator: ", "))")
                continue
            }
            values[scalar.string] = value
        }
        for key in required where values[key] == nil {
            report(node, "\(what) is missing '\(key)'")
        }
        return Fields(node: node, values: values)
    }

    /// A scalar as text; nil (and reported) when missing, null, empty or not a scalar. With `strict`, an
    /// unquoted value that some YAML reader types as a number, true/false or a date is refused too: every
    /// reader must see the same text.
    func text(_ node: Node?, _ what: String, allowEmpty: Bool = false, strict: Bool = true) -> String? {
        guard let node, plain(node) else { return nil }
        guard case let .scalar(scalar) = node else {
            report(node, "\(what) must be text")
            return nil
        }
        let value = Self.trimmed(scalar.string)
        if Self.isNull(scalar) || (value.isEmpty && !allowEmpty) {
            report(node, "\(what) is empty")
            return nil
        }
        if strict, Self.isPlain(scalar), let problem = Self.notText(PlainReading(scalar.string), written: scalar.string) {
            report(node, "\(what) is written \(scalar.string), \(problem); write it in quotes (\"\(scalar.string)\")")
            return nil
        }
        return value
    }

    /// Why an unquoted value is not plain text to every YAML reader, or nil when it is.
    static func notText(_ reading: PlainReading, written: String) -> String? {
        switch reading {
        case .null, .text: nil
        case .bool: "which reads as true or false, not text"
        case .yaml11Bool: "which YAML 1.1 reads as true or false"
        case .decimal, .notation: "which reads as a number, not text"
        case .timestamp: "which YAML 1.1 reads as a date"
        }
    }

    /// YAML's null, spelled as a plain scalar (`~`, `null`, or nothing at all).
    static func isNull(_ scalar: Node.Scalar) -> Bool {
        isPlain(scalar) && PlainReading.nulls.contains(scalar.string)
    }

    /// Unquoted and not a block scalar: the only style YAML types by its spelling. (`.any` marks nodes
    /// apex built itself.)
    static func isPlain(_ scalar: Node.Scalar) -> Bool {
        scalar.style == .plain || scalar.style == .any
    }

    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }

    /// Text that must have the given shape.
    func text(_ node: Node?, _ what: String, matching shape: Patterns.Shape, example: String) -> String? {
        guard let value = text(node, what) else { return nil }
        guard shape(value[...]) else {
            report(node, "\(what) '\(value)' is not in the form \(example)")
            return nil
        }
        return value
    }

    /// What a node holds where a number is expected.
    enum Numeral {
        /// A plain decimal, as written.
        case decimal(String)
        /// Refused, and already reported (another notation, or a number in quotes).
        case refused
        /// Anything else: the caller reports what it expected.
        case other
    }

    /// Reads a number only in plain decimal notation; other spellings that YAML readers disagree on
    /// (`010`, `0x10`, `1e3`, `+5`, `.inf`) are reported with the plain decimal to write instead.
    func numeral(_ node: Node, _ what: String) -> Numeral {
        guard case let .scalar(scalar) = node else { return .other }
        if !Self.isPlain(scalar) {
            // "10" in quotes is text to every reader; say so rather than "must be a number".
            if case let .decimal(text) = PlainReading(Self.trimmed(scalar.string)) {
                report(node, "\(what) is in quotes, so it reads as text; write the number without quotes: \(text)")
                return .refused
            }
            return .other
        }
        switch PlainReading(scalar.string) {
        case let .decimal(text):
            return .decimal(text)
        case let .notation(reason, suggestion):
            let instead = suggestion.map { ": \($0)" } ?? ", such as 12 or 0.25"
            report(node, "\(what) is written \(scalar.string) \(reason); write numbers in plain decimal notation\(instead)")
            return .refused
        default:
            return .other
        }
    }

    func integer(_ node: Node?, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard let node, plain(node) else { return nil }
        let expected = "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound)"
        switch numeral(node, what) {
        case let .decimal(text):
            // Int(text) is nil past Int's range: reported as out of range, never trapped.
            if let value = Int(text), range.contains(value) { return value }
            let parts = text.split(separator: ".", maxSplits: 1)
            if parts.count == 2, parts[1].allSatisfy({ $0 == "0" }), let whole = Int(parts[0]), range.contains(whole) {
                report(node, "\(expected); write \(whole) without a decimal point")
            } else {
                report(node, expected)
            }
        case .refused:
            break
        case .other:
            report(node, expected)
        }
        return nil
    }

    func number(_ node: Node?, _ what: String, in range: ClosedRange<Double>) -> Double? {
        guard let node, plain(node) else { return nil }
        let expected = "\(what) must be a number from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound))"
        switch numeral(node, what) {
        case let .decimal(text):
            if let value = Double(text), value.isFinite, range.contains(value) { return value }
            report(node, expected)
        case .refused:
            break
        case .other:
            report(node, expected)
        }
        return nil
    }

    /// A bound for messages: 1000000000, not 1e+09.
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    func flag(_ node: Node?, _ what: String) -> Bool? {
        guard let node, plain(node) else { return nil }
        if case let .scalar(scalar) = node {
            if Self.isPlain(scalar) {
                switch PlainReading(scalar.string) {
                case let .bool(value):
                    return value
                case .yaml11Bool:
                    report(node, "\(what) is written \(scalar.string), which YAML 1.1 reads as true or false and YAML 1.2 as text; write true or false")
                    return nil
                default:
                    break
                }
            } else if let value = PlainReading.booleans[Self.trimmed(scalar.string)] {
                report(node, "\(what) is in quotes, so it reads as text; write \(value) without quotes")
                return nil
            }
        }
        report(node, "\(what) must be true or false")
        return nil
    }

    func list(_ node: Node?, _ what: String, nonEmpty: Bool = false) -> [Node]? {
        guard let node, plain(node) else { return nil }
        guard case let .sequence(sequence) = node else {
            report(node, "\(what) must be a list")
            return nil
        }
        if nonEmpty && sequence.isEmpty {
            report(node, "\(what) must not be empty")
            return nil
        }
        return Array(sequence)
    }

    /// One of an enumeration's values. Not strict: "not one of …" says more than "write it in quotes".
    /// Reports the second and later occurrences of a value in a list; true when there are none.
    func unique<Value: Hashable & RawRepresentable>(_ values: [Value], _ nodes: [Node], _ what: String) -> Bool where Value.RawValue == String {
        var seen = Set<Value>()
        var unique = true
        for (value, node) in zip(values, nodes) where !seen.insert(value).inserted {
            report(node, "\(what) lists '\(value.rawValue)' twice")
            unique = false
        }
        return unique
    }

    func choice<E: RawRepresentable & CaseIterable>(_ node: Node?, _ type: E.Type, _ what: String) -> E? where E.RawValue == String {
        guard let value = text(node, what, strict: false) else { return nil }
        guard let result = E(rawValue: value) else {
            report(node, "\(what) '\(value)' is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return result
    }

    /// A mapping of names to numbers (thresholds); at least one.
    func numbers(_ node: Node?, _ what: String) -> [String: Double]? {
        guard let node, plain(node) else { return nil }
        guard case let .mapping(mapping) = node else {
            report(node, "\(what) must map names to numbers")
            return nil
        }
        if mapping.isEmpty {
            report(node, "\(what) names no threshold; leave the key out instead")
            return nil
        }
        var result: [String: Double] = [:]
        for (key, value) in mapping {
            guard let name = text(key, "a threshold name", matching: Patterns.thresholdName, example: "dis_max_half_life_days"),
                  let number = number(value, "threshold '\(name)'", in: Limits.threshold) else { continue }
            result[name] = number
        }
        return result
    }
}

import Foundation
