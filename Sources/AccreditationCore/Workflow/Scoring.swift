/// A surveyor's finding for one indicator.
public enum ScoreValue: String, Sendable, Codable, CaseIterable {
    case compliant
    case partiallyCompliant = "partially-compliant"
    case nonCompliant = "non-compliant"
    case notApplicable = "not-applicable"

    /// Not-applicable findings do not count for or against.
    var counts: Bool { self != .notApplicable }
}

public enum Determination: String, Sendable, Codable, CaseIterable {
    case accredited, provisional, denied
}

/// Scores rolled up per standard and domain, and the determination they point to, with the indicators
/// that drove it. Staff decide; this explains what the scores say.
public struct ScoreReport: Sendable, Equatable {
    public struct Tally: Sendable, Equatable {
        public let code: String
        public var compliant = 0
        public var partiallyCompliant = 0
        public var nonCompliant = 0
        public var notApplicable = 0
        public var unscored = 0

        /// Share of counted indicators that are compliant (nil when nothing counts).
        public var compliance: Double? {
            let counted = compliant + partiallyCompliant + nonCompliant
            return counted == 0 ? nil : Double(compliant) / Double(counted)
        }

        mutating func add(_ score: ScoreValue?) {
            switch score {
            case .compliant: compliant += 1
            case .partiallyCompliant: partiallyCompliant += 1
            case .nonCompliant: nonCompliant += 1
            case .notApplicable: notApplicable += 1
            case nil: unscored += 1
            }
        }
    }

    public struct Recommendation: Sendable, Equatable {
        public let determination: Determination?
        /// Indicator codes that decided the outcome.
        public let drivers: [String]
        public let explanation: String
    }

    public let standards: [Tally]
    public let domains: [Tally]
    public let recommendation: Recommendation

    public struct Item: Sendable {
        public let code: String
        public let domain: String
        public let standard: String
        public let level: Level
        public let score: ScoreValue?

        public init(code: String, domain: String, standard: String, level: Level, score: ScoreValue?) {
            self.code = code
            self.domain = domain
            self.standard = standard
            self.level = level
            self.score = score
        }
    }

    public init(items: [Item], settings: WorkflowSettings) {
        var standards: [String: Tally] = [:]
        var domains: [String: Tally] = [:]
        for item in items {
            standards[item.standard, default: Tally(code: item.standard)].add(item.score)
            domains[item.domain, default: Tally(code: item.domain)].add(item.score)
        }
        self.standards = standards.values.sorted { $0.code < $1.code }
        self.domains = domains.values.sorted { $0.code < $1.code }
        recommendation = Self.recommend(items, settings: settings)
    }

    /// The rules, in order: unscored → no recommendation; any level-1 non-compliant → denied; any level-1
    /// partially compliant, or level-2 compliance under the threshold → provisional; else accredited.
    static func recommend(_ items: [Item], settings: WorkflowSettings) -> Recommendation {
        let unscored = items.filter { $0.score == nil }.map(\.code)
        if !unscored.isEmpty {
            return Recommendation(determination: nil, drivers: unscored,
                                  explanation: "\(unscored.count) applicable indicator(s) are not scored yet.")
        }
        let levelOne = items.filter { $0.level == .mustMeet }
        let failing = levelOne.filter { $0.score == .nonCompliant || $0.score == .notApplicable }.map(\.code)
        if !failing.isEmpty {
            return Recommendation(determination: .denied, drivers: failing,
                                  explanation: "Level-1 indicator(s) \(failing.joined(separator: ", ")) are not compliant; level 1 must be met for accreditation.")
        }
        let partial = levelOne.filter { $0.score == .partiallyCompliant }.map(\.code)
        if !partial.isEmpty {
            return Recommendation(determination: .provisional, drivers: partial,
                                  explanation: "Level-1 indicator(s) \(partial.joined(separator: ", ")) are only partially compliant; corrective action can bring them to compliance.")
        }
        let levelTwo = items.filter { $0.level == .scored && $0.score?.counts == true }
        let met = levelTwo.filter { $0.score == .compliant }.count
        let share = levelTwo.isEmpty ? 1 : Double(met) / Double(levelTwo.count)
        if share < settings.levelTwoThreshold {
            let unmet = levelTwo.filter { $0.score != .compliant }.map(\.code)
            return Recommendation(determination: .provisional, drivers: unmet,
                                  explanation: "Every level-1 indicator is compliant, but only \(met) of \(levelTwo.count) level-2 indicators are (threshold \(Int(settings.levelTwoThreshold * 100))%).")
        }
        return Recommendation(determination: .accredited, drivers: [],
                              explanation: "Every applicable level-1 indicator is compliant and \(met) of \(levelTwo.count) level-2 indicators are compliant.")
    }
}
