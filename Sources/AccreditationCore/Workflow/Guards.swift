public import Foundation

/// What the guards read, gathered by the persistence layer inside the transition's transaction.
/// Only the facts the transition's guards need are filled in; the rest keep their defaults.
public struct GuardFacts: Sendable, Equatable {
    /// Every applicable indicator of the application with what has been done for it.
    public var indicators: [IndicatorProgress] = []
    /// Disciplines of surveyors who accepted their assignment.
    public var acceptedTeam: [Discipline] = []
    /// The person firing the transition is (or was) a surveyor on this application.
    public var actorIsSurveyorOnApplication = false
    public var now: Date = .distantPast
    public var appealDeadline: Date?
    /// For accepting an assignment: the surveyor signed the conflict-of-interest attestation.
    public var attestationSigned = false
    /// For proposing or accepting an assignment: why the surveyor is conflicted, if they are.
    public var conflicts: [String] = []
    /// A reaccreditation cycle was already opened from this application.
    public var hasSuccessor = false
    /// Indicator codes of corrective actions not yet submitted (or accepted).
    public var unsubmittedCorrectiveActions: [String] = []

    public init() {}

    public struct IndicatorProgress: Sendable, Equatable {
        public let code: String
        public let level: Level
        public let hasResponse: Bool
        public let evidenceCount: Int
        public let score: ScoreValue?

        public init(code: String, level: Level, hasResponse: Bool, evidenceCount: Int, score: ScoreValue?) {
            self.code = code
            self.level = level
            self.hasResponse = hasResponse
            self.evidenceCount = evidenceCount
            self.score = score
        }
    }
}

/// The rules transitions depend on. Each explains a refusal in words a user can act on.
public enum Guard: String, Sendable, Codable, CaseIterable {
    case everyApplicableIndicatorAnswered = "every-applicable-indicator-answered"
    case levelOneEvidenceUploaded = "level-one-evidence-uploaded"
    case surveyTeamComplete = "survey-team-complete"
    case everyApplicableIndicatorScored = "every-applicable-indicator-scored"
    case levelOneCompliant = "level-one-compliant"
    case deciderIsNotSurveyor = "decider-is-not-surveyor"
    case withinAppealWindow = "within-appeal-window"
    case attestationSigned = "attestation-signed"
    case noConflictOfInterest = "no-conflict-of-interest"
    case appealWindowElapsed = "appeal-window-elapsed"
    case noReaccreditationOpen = "no-reaccreditation-open"
    case correctiveActionsSubmitted = "corrective-actions-submitted"

    public struct Outcome: Sendable, Equatable {
        public let holds: Bool
        public let reason: String
    }

    public func check(_ facts: GuardFacts) -> Outcome {
        switch self {
        case .everyApplicableIndicatorAnswered:
            let missing = facts.indicators.filter { !$0.hasResponse }.map(\.code)
            return Self.outcome(missing.isEmpty, "no self-assessment response for \(Self.list(missing))")
        case .levelOneEvidenceUploaded:
            let missing = facts.indicators.filter { $0.level == .mustMeet && $0.evidenceCount == 0 }.map(\.code)
            return Self.outcome(missing.isEmpty, "no evidence document for level-1 indicator(s) \(Self.list(missing))")
        case .surveyTeamComplete:
            let missing = [Discipline.radiationOncologist, .medicalPhysicist].filter { !facts.acceptedTeam.contains($0) }
            return Self.outcome(missing.isEmpty, "the accepted survey team lacks a \(missing.map(\.rawValue).joined(separator: " and a "))")
        case .everyApplicableIndicatorScored:
            let missing = facts.indicators.filter { $0.score == nil }.map(\.code)
            return Self.outcome(missing.isEmpty, "no score for \(Self.list(missing))")
        case .levelOneCompliant:
            // An applicable level-1 indicator counts only when compliant: "not applicable" cannot stand in.
            let failing = facts.indicators.filter { $0.level == .mustMeet && $0.score != .compliant }.map(\.code)
            return Self.outcome(failing.isEmpty, "level-1 indicator(s) not compliant: \(Self.list(failing))")
        case .deciderIsNotSurveyor:
            return Self.outcome(!facts.actorIsSurveyorOnApplication, "the person deciding is a surveyor on this application")
        case .withinAppealWindow:
            guard let deadline = facts.appealDeadline else { return Self.outcome(false, "no appeal window is open") }
            return Self.outcome(facts.now <= deadline, "the appeal window closed at \(deadline.formatted(.iso8601))")
        case .attestationSigned:
            return Self.outcome(facts.attestationSigned, "the conflict-of-interest attestation is not signed")
        case .noConflictOfInterest:
            return Self.outcome(facts.conflicts.isEmpty, "conflict of interest: \(facts.conflicts.joined(separator: "; "))")
        case .appealWindowElapsed:
            // A stale timer (from an earlier denial) must not end a later appeal window early.
            guard let deadline = facts.appealDeadline else { return Self.outcome(false, "no appeal window is open") }
            return Self.outcome(facts.now >= deadline, "the appeal window is open until \(deadline.formatted(.iso8601))")
        case .noReaccreditationOpen:
            return Self.outcome(!facts.hasSuccessor, "a reaccreditation cycle was already opened from this application")
        case .correctiveActionsSubmitted:
            return Self.outcome(facts.unsubmittedCorrectiveActions.isEmpty,
                                "corrective action(s) not submitted for \(Self.list(facts.unsubmittedCorrectiveActions))")
        }
    }

    /// The indicator codes a refusal of this guard is about (so a page can link them), in catalog order;
    /// empty for guards that are not about indicators or when the guard holds.
    public func concerns(_ facts: GuardFacts) -> [String] {
        switch self {
        case .everyApplicableIndicatorAnswered: facts.indicators.filter { !$0.hasResponse }.map(\.code)
        case .levelOneEvidenceUploaded: facts.indicators.filter { $0.level == .mustMeet && $0.evidenceCount == 0 }.map(\.code)
        case .everyApplicableIndicatorScored: facts.indicators.filter { $0.score == nil }.map(\.code)
        case .levelOneCompliant: facts.indicators.filter { $0.level == .mustMeet && $0.score != .compliant }.map(\.code)
        case .correctiveActionsSubmitted: facts.unsubmittedCorrectiveActions
        default: []
        }
    }

    static func outcome(_ holds: Bool, _ reason: @autoclosure () -> String) -> Outcome {
        Outcome(holds: holds, reason: holds ? "" : reason())
    }

    static func list(_ codes: [String]) -> String {
        codes.count <= 8 ? codes.joined(separator: ", ") : codes.prefix(8).joined(separator: ", ") + " and \(codes.count - 8) more"
    }
}

/// Work done in the same transaction as a transition (timers, term dates, linked records).
public enum Effect: String, Sendable, Codable, CaseIterable {
    case openSelfAssessmentWindow = "open-self-assessment-window"
    case closeSelfAssessmentWindow = "close-self-assessment-window"
    case startTerm = "start-term"
    case openAppealWindow = "open-appeal-window"
    case setCorrectiveActionDue = "set-corrective-action-due"
    case openReaccreditationCycle = "open-reaccreditation-cycle"
    case completeAssignments = "complete-assignments"
    case closeRecords = "close-records"
}

/// Timings differ between programmes, so they are configuration, not code.
public struct WorkflowSettings: Sendable, Equatable, Codable {
    public var selfAssessmentWindowDays = 183
    public var appealWindowDays = 30
    public var correctiveActionDays = 90
    public var rfiResponseDays = 30
    public var expiryReminderDays = [90, 30]
    /// Share of applicable level-2 indicators that must be met for a recommendation of "accredited".
    public var levelTwoThreshold = 0.8

    public init() {}
}
