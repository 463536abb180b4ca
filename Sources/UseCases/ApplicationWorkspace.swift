public import AccreditationCore
public import Foundation
public import Persistence

/// Everything a person sees of one application, bundled for a page (or an API answer): the summary,
/// the applicable indicators grouped by domain and standard with their answers and evidence, progress,
/// the team, requests for information, corrective actions, the history, and what this person may do now.
public struct ApplicationDetail: Sendable {
    public let application: ApplicationView
    /// What the access policy asks about the application (its practice, its accepted surveyors).
    public let access: AccessPolicy.ApplicationFacts
    public var state: ApplicationState { application.summary.state }
    public var pathway: Pathway { application.pathway }
    public let release: CatalogRelease
    public let domains: [DomainWork]
    /// Indicators of the release that do not apply to the practice's scope, with why not.
    public let notApplicable: [ApplicabilityDecision]
    /// Every document of the application, newest last, superseded ones included.
    public let evidence: [EvidenceView]
    public let team: [AssignmentView]
    public let rfis: [RFIView]
    public let correctiveActions: [CorrectiveActionView]
    /// Determinations, appeals and change notices, oldest first.
    public let records: [FiledRecord]
    /// The history, oldest first.
    public let history: [HistoryEvent]
    public let options: ActionOptions
    public let nextStep: NextStep
    /// When the self-assessment window closes, if it is open.
    public let selfAssessmentEnds: Date?

    /// Totals over every applicable indicator.
    public var progress: Progress { domains.reduce(Progress()) { $0 + $1.progress } }
}

/// One domain's applicable indicators, by standard.
public struct DomainWork: Sendable {
    public let domain: Domain
    public let standards: [StandardWork]
    public var progress: Progress { standards.flatMap(\.indicators).reduce(Progress()) { $0 + $1.progress } }
}

public struct StandardWork: Sendable {
    public let standard: Standard
    public let indicators: [IndicatorWork]
}

/// One applicable indicator with what the practice has done for it.
public struct IndicatorWork: Sendable {
    public let decision: ApplicabilityDecision
    public let response: ResponseView?
    /// Documents linked to it that are not superseded.
    public let evidence: [EvidenceView]
    public var indicator: Indicator { decision.indicator.indicator }
    var progress: Progress {
        Progress(total: 1, answered: response == nil ? 0 : 1, withEvidence: evidence.isEmpty ? 0 : 1)
    }
}

/// Counts of applicable indicators: all, answered, with at least one live document.
public struct Progress: Sendable, Equatable {
    public var total = 0
    public var answered = 0
    public var withEvidence = 0
    public init(total: Int = 0, answered: Int = 0, withEvidence: Int = 0) {
        self.total = total
        self.answered = answered
        self.withEvidence = withEvidence
    }
    public static func + (lhs: Self, rhs: Self) -> Self {
        Progress(total: lhs.total + rhs.total, answered: lhs.answered + rhs.answered, withEvidence: lhs.withEvidence + rhs.withEvidence)
    }
}

/// One line of a practice's home page.
public struct ApplicationSummaryLine: Sendable {
    public let application: ApplicationView
    public var state: ApplicationState { application.summary.state }
    public var pathway: Pathway { application.pathway }
    public let nextStep: NextStep
    public let progress: Progress
    /// The same counts per domain of the release, in catalog order (code, title, counts).
    public let domains: [(code: String, title: String, progress: Progress)]
    /// Dates by which something is due: the self-assessment window, open RFIs and corrective actions.
    public let deadlines: [Deadline]
}

public struct Deadline: Sendable, Equatable {
    public let what: String
    public let due: Date
}
