/// What a practice declares it does; applicability rules are evaluated against it.
public struct PracticeScope: Sendable, Equatable, Codable {
    public var agents: Set<RPTAgent>
    public var inpatientTherapy: Bool
    public var patientSpecificDosimetry: Bool
    public var siteCount: Int
    /// How many types of medical use the radioactive-materials licence authorises (35.300, 35.400, …).
    public var licensedUseTypes: Int
    /// The regulator: `US-NRC`, or an Agreement State such as `US-NC`. Selects jurisdiction overrides.
    public var jurisdiction: String

    public init(agents: Set<RPTAgent>, inpatientTherapy: Bool = false, patientSpecificDosimetry: Bool = false,
                siteCount: Int = 1, licensedUseTypes: Int = 1, jurisdiction: String = "US-NRC") {
        self.agents = agents
        self.inpatientTherapy = inpatientTherapy
        self.patientSpecificDosimetry = patientSpecificDosimetry
        self.siteCount = siteCount
        self.licensedUseTypes = licensedUseTypes
        self.jurisdiction = jurisdiction
    }

    enum CodingKeys: String, CodingKey {
        case agents, jurisdiction
        case inpatientTherapy = "inpatient_therapy"
        case patientSpecificDosimetry = "patient_specific_dosimetry"
        case siteCount = "site_count"
        case licensedUseTypes = "licensed_use_types"
    }
}

public enum RPTAgent: String, Sendable, Codable, CaseIterable, Comparable {
    case lu177PSMA = "lu177-psma"
    case lu177DOTATATE = "lu177-dotatate"
    case ra223 = "ra223"
    case i131 = "i131"
    case y90Microspheres = "y90-microspheres"

    public static func < (lhs: RPTAgent, rhs: RPTAgent) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The scope fields a rule may name, with the kind of test each supports.
public enum ScopeField: String, Sendable, Codable, CaseIterable {
    case agents
    case inpatientTherapy = "inpatient_therapy"
    case patientSpecificDosimetry = "patient_specific_dosimetry"
    case siteCount = "site_count"
    case licensedUseTypes = "licensed_use_types"

    public enum Kind: Sendable { case flag, count, agentSet }

    public var kind: Kind {
        switch self {
        case .agents: .agentSet
        case .inpatientTherapy, .patientSpecificDosimetry: .flag
        case .siteCount, .licensedUseTypes: .count
        }
    }
}

/// When an indicator applies, and the reason shown to the practice when it does.
public struct Applicability: Sendable, Equatable, Codable {
    public var when: ApplicabilityRule
    public var reason: String

    public init(when: ApplicabilityRule, reason: String) {
        self.when = when
        self.reason = reason
    }
}

/// A small rule language over the practice scope. Each rule explains its own outcome.
public indirect enum ApplicabilityRule: Sendable, Equatable {
    case equals(ScopeField, Bool)
    case includesAny(ScopeField, [RPTAgent])
    case atLeast(ScopeField, Int)
    case all([ApplicabilityRule])
    case any([ApplicabilityRule])
    case not(ApplicabilityRule)

    public struct Outcome: Sendable, Equatable {
        public let holds: Bool
        /// Plain words: "agents include y90-microspheres", "inpatient_therapy is false (applies when true)".
        public let explanation: String

        public init(holds: Bool, explanation: String) {
            self.holds = holds
            self.explanation = explanation
        }
    }

    public func evaluate(_ scope: PracticeScope) -> Outcome {
        switch self {
        case let .equals(field, expected):
            let actual = field == .inpatientTherapy ? scope.inpatientTherapy : scope.patientSpecificDosimetry
            let holds = actual == expected
            return Outcome(holds: holds, explanation: holds
                ? "\(field.rawValue) is \(actual)"
                : "\(field.rawValue) is \(actual) (applies when \(expected))")
        case let .includesAny(_, wanted):
            let found = wanted.filter(scope.agents.contains)
            return Outcome(holds: !found.isEmpty, explanation: found.isEmpty
                ? "agents include none of \(wanted.map(\.rawValue).joined(separator: ", "))"
                : "agents include \(found.map(\.rawValue).joined(separator: ", "))")
        case let .atLeast(field, minimum):
            let actual = field == .siteCount ? scope.siteCount : scope.licensedUseTypes
            let holds = actual >= minimum
            return Outcome(holds: holds, explanation: holds
                ? "\(field.rawValue) is \(actual) (at least \(minimum))"
                : "\(field.rawValue) is \(actual) (applies from \(minimum))")
        case let .all(rules):
            let outcomes = rules.map { $0.evaluate(scope) }
            let failed = outcomes.filter { !$0.holds }
            return failed.isEmpty
                ? Outcome(holds: true, explanation: outcomes.map(\.explanation).joined(separator: " and "))
                : Outcome(holds: false, explanation: failed.map(\.explanation).joined(separator: "; "))
        case let .any(rules):
            let outcomes = rules.map { $0.evaluate(scope) }
            let held = outcomes.filter(\.holds)
            return held.isEmpty
                ? Outcome(holds: false, explanation: outcomes.map(\.explanation).joined(separator: "; "))
                : Outcome(holds: true, explanation: held.map(\.explanation).joined(separator: "; "))
        case let .not(rule):
            let inner = rule.evaluate(scope)
            return Outcome(holds: !inner.holds, explanation: "not (\(inner.explanation))")
        }
    }

    /// Every field the rule names, for validation and diffing.
    public var fields: [ScopeField] {
        switch self {
        case let .equals(field, _), let .includesAny(field, _), let .atLeast(field, _): [field]
        case let .all(rules), let .any(rules): rules.flatMap(\.fields)
        case let .not(rule): rule.fields
        }
    }
}

/// The catalog file shape: `{field: agents, includes_any: [...]}`, `{all: [...]}`, `{not: {...}}`.
extension ApplicabilityRule: Codable {
    enum Key: String, CodingKey {
        case field, equals, all, any, not
        case includesAny = "includes_any"
        case atLeast = "at_least"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        if let rules = try container.decodeIfPresent([ApplicabilityRule].self, forKey: .all) {
            self = .all(rules)
        } else if let rules = try container.decodeIfPresent([ApplicabilityRule].self, forKey: .any) {
            self = .any(rules)
        } else if let rule = try container.decodeIfPresent(ApplicabilityRule.self, forKey: .not) {
            self = .not(rule)
        } else {
            let field = try container.decode(ScopeField.self, forKey: .field)
            if let value = try container.decodeIfPresent(Bool.self, forKey: .equals) {
                self = .equals(field, value)
            } else if let agents = try container.decodeIfPresent([RPTAgent].self, forKey: .includesAny) {
                self = .includesAny(field, agents)
            } else {
                self = .atLeast(field, try container.decode(Int.self, forKey: .atLeast))
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case let .equals(field, value):
            try container.encode(field, forKey: .field)
            try container.encode(value, forKey: .equals)
        case let .includesAny(field, agents):
            try container.encode(field, forKey: .field)
            try container.encode(agents, forKey: .includesAny)
        case let .atLeast(field, minimum):
            try container.encode(field, forKey: .field)
            try container.encode(minimum, forKey: .atLeast)
        case let .all(rules): try container.encode(rules, forKey: .all)
        case let .any(rules): try container.encode(rules, forKey: .any)
        case let .not(rule): try container.encode(rule, forKey: .not)
        }
    }
}

/// Whether one indicator applies to a practice, and why.
public struct ApplicabilityDecision: Sendable, Equatable {
    public let indicator: LocatedIndicator
    public let applies: Bool
    /// The catalog's reason when a rule applies; the rule's own explanation when it does not.
    public let reason: String
    public let ruleExplanation: String?
}

extension CatalogRelease {
    /// Every indicator of the release, each with whether it applies to `scope` and why.
    public func applicability(for scope: PracticeScope) -> [ApplicabilityDecision] {
        indicators.map { located in
            guard let applicability = located.indicator.applicability else {
                return ApplicabilityDecision(indicator: located, applies: true, reason: "Applies to every RPT practice.", ruleExplanation: nil)
            }
            let outcome = applicability.when.evaluate(scope)
            return ApplicabilityDecision(
                indicator: located, applies: outcome.holds,
                reason: outcome.holds ? applicability.reason : "Does not apply: \(outcome.explanation).",
                ruleExplanation: outcome.explanation
            )
        }
    }
}
