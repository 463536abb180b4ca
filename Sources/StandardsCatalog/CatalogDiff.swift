public import AccreditationCore
import Foundation

/// What changed between two releases, indicator by indicator and field by field, so staff can judge
/// what a new release means for applications in flight.
public struct CatalogDiff: Sendable, Equatable, Encodable {
    public let old: String
    public let new: String
    public let added: [IndicatorSummary]
    public let removed: [IndicatorSummary]
    public let changed: [IndicatorChange]

    public struct IndicatorSummary: Sendable, Equatable, Encodable {
        public let code: String
        public let title: String
        public let level: Int
    }

    public struct IndicatorChange: Sendable, Equatable, Encodable {
        public let code: String
        /// Set when the indicator was renumbered: its code in the old release.
        public let previousCode: String?
        public let fields: [FieldChange]

        enum CodingKeys: String, CodingKey {
            case code, fields
            case previousCode = "previous_code"
        }
    }

    public struct FieldChange: Sendable, Equatable, Encodable {
        /// `requirement`, `level`, `evidence`, `applicability`, `references`, …
        public let field: String
        public let old: String
        public let new: String

        public init(field: String, old: String, new: String) {
            self.field = field
            self.old = old
            self.new = new
        }
    }

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    public init(old: CatalogRelease, new: CatalogRelease) {
        self.old = old.releaseID
        self.new = new.releaseID
        let oldByCode = Dictionary(old.indicators.map { ($0.indicator.code, $0) }, uniquingKeysWith: { first, _ in first })
        // A renumbered indicator is matched to the one it supersedes, not reported as removed + added.
        var matched: [(old: LocatedIndicator, new: LocatedIndicator)] = []
        var added: [IndicatorSummary] = []
        var consumed = Set<String>()
        for located in new.indicators {
            let code = located.indicator.code
            if let previous = oldByCode[code] ?? located.indicator.supersedes.flatMap({ oldByCode[$0] }) {
                matched.append((previous, located))
                consumed.insert(previous.indicator.code)
            } else {
                added.append(Self.summary(located.indicator))
            }
        }
        self.added = added
        removed = old.indicators.filter { !consumed.contains($0.indicator.code) }.map { Self.summary($0.indicator) }
        changed = matched.compactMap { pair in
            let fields = Self.fieldChanges(pair.old, pair.new)
            let renumbered = pair.old.indicator.code != pair.new.indicator.code
            guard !fields.isEmpty || renumbered else { return nil }
            return IndicatorChange(code: pair.new.indicator.code, previousCode: renumbered ? pair.old.indicator.code : nil, fields: fields)
        }
    }

    static func summary(_ indicator: Indicator) -> IndicatorSummary {
        IndicatorSummary(code: indicator.code, title: indicator.title, level: indicator.level.rawValue)
    }

    static func fieldChanges(_ old: LocatedIndicator, _ new: LocatedIndicator) -> [FieldChange] {
        let a = old.indicator
        let b = new.indicator
        var changes: [FieldChange] = []
        func compare(_ field: String, _ x: String, _ y: String) {
            if x != y { changes.append(FieldChange(field: field, old: x, new: y)) }
        }
        compare("standard", old.standard, new.standard)
        compare("title", a.title, b.title)
        compare("requirement", a.requirement, b.requirement)
        compare("guidance", a.guidance, b.guidance)
        compare("level", String(a.level.rawValue), String(b.level.rawValue))
        compare("evidence", describe(a.evidence), describe(b.evidence))
        compare("applicability", describe(a.applicability), describe(b.applicability))
        compare("scoring", a.scoring, b.scoring)
        compare("references", describe(a.references), describe(b.references))
        compare("apex", describe(a.apex), describe(b.apex))
        compare("thresholds", describe(a.thresholds), describe(b.thresholds))
        compare("jurisdiction_overrides", describe(a.jurisdictionOverrides), describe(b.jurisdictionOverrides))
        return changes
    }

    /// Compact, stable JSON of a value: readable in text output, exact in comparisons.
    static func describe<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
    }

    /// Human-readable report.
    public var text: String {
        var lines = ["Changes from \(old) to \(new):"]
        if isEmpty { lines.append("  no indicator changed") }
        for item in added { lines.append("  + \(item.code) (level \(item.level)) \(item.title)") }
        for item in removed { lines.append("  - \(item.code) (level \(item.level)) \(item.title)") }
        for change in changed {
            let renumbered = change.previousCode.map { " (was \($0))" } ?? ""
            lines.append("  ~ \(change.code)\(renumbered)")
            for field in change.fields {
                lines.append("      \(field.field): \(field.old)")
                lines.append("      \(String(repeating: " ", count: field.field.count))→ \(field.new)")
            }
        }
        lines.append("\(added.count) added, \(removed.count) removed, \(changed.count) changed")
        return lines.joined(separator: "\n")
    }
}
