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

    /// A scalar as text; nil (and reported) when missing, null, empty or not a scalar.
    func text(_ node: Node?, _ what: String, allowEmpty: Bool = false) -> String? {
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
        return value
    }

    /// YAML's null, spelled as a plain scalar (`~`, `null`, or nothing at all).
    static func isNull(_ scalar: Node.Scalar) -> Bool {
        scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// Plain scalars only: a quoted "12" is text, not a number.
    static func plainText(_ node: Node) -> String? {
        guard case let .scalar(scalar) = node, scalar.style == .plain || scalar.style == .any else { return nil }
        return scalar.string
    }

    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }

    static func integer(_ node: Node) -> Int? {
        guard let text = plainText(node) else { return nil }
        return Int(text)
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

    func integer(_ node: Node?, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard let node, plain(node) else { return nil }
        guard let value = Self.integer(node), range.contains(value) else {
            report(node, "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    func number(_ node: Node?, _ what: String) -> Double? {
        guard let node, plain(node) else { return nil }
        guard let text = Self.plainText(node), let value = Double(text), value.isFinite else {
            report(node, "\(what) must be a number")
            return nil
        }
        return value
    }

    func flag(_ node: Node?, _ what: String) -> Bool? {
        guard let node, plain(node) else { return nil }
        guard let text = Self.plainText(node), let value = ["true": true, "false": false, "True": true, "False": false][text] else {
            report(node, "\(what) must be true or false")
            return nil
        }
        return value
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

    func choice<E: RawRepresentable & CaseIterable>(_ node: Node?, _ type: E.Type, _ what: String) -> E? where E.RawValue == String {
        guard let value = text(node, what) else { return nil }
        guard let result = E(rawValue: value) else {
            report(node, "\(what) '\(value)' is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return result
    }

    /// A mapping of names to numbers (thresholds).
    func numbers(_ node: Node?, _ what: String) -> [String: Double]? {
        guard let node, plain(node) else { return nil }
        guard case let .mapping(mapping) = node else {
            report(node, "\(what) must map names to numbers")
            return nil
        }
        var result: [String: Double] = [:]
        for (key, value) in mapping {
            guard let name = text(key, "a threshold name", matching: Patterns.thresholdName, example: "dis_max_half_life_days"),
                  let number = number(value, "threshold '\(name)'") else { continue }
            result[name] = number
        }
        return result
    }
}

import Foundation
