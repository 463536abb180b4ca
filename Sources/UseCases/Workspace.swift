public import AccreditationCore
public import Foundation
public import Persistence

/// The practice's work on its applications as queries and commands: each takes the caller's identity
/// and typed inputs, asks the access policy and the domain tables, and returns typed read models or
/// throws the domain's errors (`WorkflowError`, `FieldError`). The web pages call these; the API's
/// handlers call the same stores through them where they have been moved over.
///
/// Visibility: an application the caller may not see is `WorkflowError.notFound`, exactly like one that
/// does not exist, so nothing can be discovered by probing.
public struct Workspace: Sendable {
    public let workflow: WorkflowStore

    public init(workflow: WorkflowStore) {
        self.workflow = workflow
    }

    // MARK: - Queries

    /// The application if `identity` may see it; else `WorkflowError.notFound`.
    public func visibleApplication(_ id: UUID, as identity: Identity) async throws -> ApplicationView {
        guard let (view, facts) = try await workflow.applicationWithFacts(id), AccessPolicy.canView(facts, as: identity) else {
            throw WorkflowError.notFound("Application \(id.uuidString.lowercased())")
        }
        return view
    }

    /// The applications `identity` may see (a practice's own; a surveyor's accepted ones; staff all),
    /// newest first, each with its next step, progress and deadlines. At most `limit` lines.
    public func home(for identity: Identity, limit: Int = 50) async throws -> [ApplicationSummaryLine] {
        let views = try await workflow.applications(AccessPolicy.listable(as: identity), filter: .init(), after: nil, limit: limit)
        var lines: [ApplicationSummaryLine] = []
        for view in views {
            let state = view.summary.state
            let progress = try await workflow.progress(application: view.summary.id)
            let count = { (items: [GuardFacts.IndicatorProgress]) in
                Progress(total: items.count, answered: items.filter(\.hasResponse).count, withEvidence: items.filter { $0.evidenceCount > 0 }.count)
            }
            let release = try await workflow.release(view.summary.releaseID)
            let byDomain = Dictionary(grouping: progress) { release.indicator(code: $0.code)?.domain ?? "" }
            let domains = release.domains.compactMap { domain in
                byDomain[domain.code].map { (code: domain.code, title: domain.title, progress: count($0)) }
            }
            lines.append(ApplicationSummaryLine(
                application: view, nextStep: .after(state), progress: count(progress),
                domains: domains, deadlines: try await deadlines(view.summary.id)))
        }
        return lines
    }

    /// The whole application as `identity` sees it; `WorkflowError.notFound` when they may not see it.
    public func application(_ id: UUID, as identity: Identity) async throws -> ApplicationDetail {
        guard let (view, facts) = try await workflow.applicationWithFacts(id), AccessPolicy.canView(facts, as: identity) else {
            throw WorkflowError.notFound("Application \(id.uuidString.lowercased())")
        }
        let state = view.summary.state
        let release = try await workflow.release(view.summary.releaseID)
        let decisions = try await workflow.applicableIndicatorsAndOthers(application: id)
        let responses = Dictionary(try await workflow.responses(application: id).map { ($0.indicator, $0) }, uniquingKeysWith: { $1 })
        let evidence = try await workflow.evidence(application: id)
        var linked: [String: [EvidenceView]] = [:]
        for document in evidence where document.state != .superseded {
            for code in document.indicators { linked[code, default: []].append(document) }
        }
        let applicable = Dictionary(decisions.filter(\.applies).map { ($0.indicator.indicator.code, $0) }, uniquingKeysWith: { $1 })
        let domains: [DomainWork] = release.domains.compactMap { domain in
            let standards: [StandardWork] = domain.standards.compactMap { standard in
                let work = standard.indicators.compactMap { indicator -> IndicatorWork? in
                    guard let decision = applicable[indicator.code] else { return nil }
                    return IndicatorWork(decision: decision, response: responses[indicator.code], evidence: linked[indicator.code] ?? [])
                }
                return work.isEmpty ? nil : StandardWork(standard: standard, indicators: work)
            }
            return standards.isEmpty ? nil : DomainWork(domain: domain, standards: standards)
        }
        let timers = try await workflow.pendingTimers(application: id)
        return ApplicationDetail(
            application: view, access: facts, release: release, domains: domains,
            notApplicable: decisions.filter { !$0.applies }, evidence: evidence,
            team: try await workflow.assignments(application: id), rfis: try await workflow.rfis(application: id),
            correctiveActions: try await workflow.correctiveActionViews(application: id),
            records: try await workflow.filedRecords(application: id), history: try await workflow.history(of: id),
            options: try await workflow.actionOptions(application: id, actor: identity.actor), nextStep: .after(state),
            selfAssessmentEnds: timers.first { $0.action == ApplicationAction.lapseSelfAssessment.rawValue }?.dueAt)
    }

    /// The plain verifier's verdict on the application's history.
    public func verifyHistory(_ id: UUID, as identity: Identity) async throws -> HistoryChain.Report {
        _ = try await visibleApplication(id, as: identity)
        return try await workflow.verifyHistory(application: id)
    }

    // MARK: - Commands

    /// Answers one indicator's self-assessment question. `expectedVersion` is the response version the
    /// person saw (nil for a first answer). Returns the new version. Throws `FieldError` for an empty or
    /// over-long answer, `WorkflowError` for refusals (role, state, not applicable, stale).
    @discardableResult
    public func respond(application id: UUID, indicator: IndicatorCode, answer raw: String, expectedVersion: Int?,
                        as identity: Identity) async throws -> Int {
        _ = try await visibleApplication(id, as: identity)
        let answer = try BoundedText(raw, field: "answer", max: BoundedText.Limit.longText)
        return try await workflow.respond(application: id, indicator: indicator.value, answer: answer.value, actor: identity.actor,
                                          expectedVersion: expectedVersion)
    }

    /// Fires an application transition (submit, submit the self-assessment, withdraw, …) at the version
    /// the person saw. Actions that carry text (appeal grounds, a change notice) take it in `text`.
    @discardableResult
    public func fire(_ action: ApplicationAction, application id: UUID, expectedVersion: Int, text: String? = nil,
                     as identity: Identity) async throws -> Fired {
        _ = try await visibleApplication(id, as: identity)
        var payload: [String: String] = [:]
        if let text { payload["text"] = try BoundedText(text, field: "text", max: BoundedText.Limit.longText).value }
        return try await workflow.fire(action, application: id, actor: identity.actor, expectedVersion: expectedVersion, payload: payload)
    }

    /// Links a document of the application to more indicators.
    public func linkEvidence(_ document: UUID, application id: UUID, indicators: [IndicatorCode], as identity: Identity) async throws {
        _ = try await visibleApplication(id, as: identity)
        guard !indicators.isEmpty else { throw FieldError(field: "indicators", message: "Choose at least one indicator to link.") }
        try await workflow.linkEvidence(document, application: id, indicators: indicators.map(\.value), actor: identity.actor)
    }

    /// Answers a request for information of the application at the version the person saw.
    @discardableResult
    public func answerRFI(_ rfi: UUID, application id: UUID, answer raw: String, expectedVersion: Int, as identity: Identity) async throws -> Fired {
        _ = try await visibleApplication(id, as: identity)
        let answer = try BoundedText(raw, field: "answer", max: BoundedText.Limit.longText)
        guard try await workflow.rfis(application: id).contains(where: { $0.id == rfi }) else {
            throw WorkflowError.notFound("Request for information \(rfi.uuidString.lowercased())")
        }
        return try await workflow.fire(.answer, rfi: rfi, actor: identity.actor, expectedVersion: expectedVersion, answer: answer.value)
    }

    /// Starts an application for `practice` (a practice's people only for their own; staff for any).
    /// `releaseID` must be a published release. Returns the new application's id. Throws
    /// `WorkflowError.notFound` for a practice the caller cannot reach,
    /// `WorkflowError` refusals for the role, the term (3 or 4 years) or an unknown or unpublished release.
    public func startApplication(practice: UUID, releaseID: String, pathway: Pathway, termYears: Int, as identity: Identity) async throws -> UUID {
        guard AccessPolicy.mayReachPractice(practice, toCreateApplicationAs: identity) else {
            throw WorkflowError.notFound("Practice \(practice.uuidString.lowercased())")
        }
        let release = try BoundedText(releaseID, field: "release", max: 200)
        return try await workflow.createApplication(practiceID: practice, releaseID: release.value, pathway: pathway, termYears: termYears,
                                                    actor: identity.actor)
    }

    /// Answers (submits) one corrective action of the application at the version the person saw, with
    /// what was done. Throws `FieldError` for an empty or over-long response, `WorkflowError` for refusals.
    @discardableResult
    public func answerCorrectiveAction(_ item: UUID, application id: UUID, response raw: String, expectedVersion: Int,
                                       as identity: Identity) async throws -> Fired {
        _ = try await visibleApplication(id, as: identity)
        let response = try BoundedText(raw, field: "response", max: BoundedText.Limit.longText)
        guard try await workflow.correctiveActionViews(application: id).contains(where: { $0.id == item }) else {
            throw WorkflowError.notFound("Corrective action \(item.uuidString.lowercased())")
        }
        return try await workflow.fire(.submit, correctiveAction: item, actor: identity.actor, expectedVersion: expectedVersion, response: response.value)
    }

    // MARK: - Helpers

    func deadlines(_ id: UUID) async throws -> [Deadline] {
        var result: [Deadline] = []
        if let lapse = try await workflow.pendingTimers(application: id).first(where: { $0.action == ApplicationAction.lapseSelfAssessment.rawValue }) {
            result.append(Deadline(what: "Self-assessment window ends", due: lapse.dueAt))
        }
        for rfi in try await workflow.rfis(application: id) where rfi.state == .open {
            result.append(Deadline(what: "Request for information due" + (rfi.indicator.map { " (\($0))" } ?? ""), due: rfi.dueAt))
        }
        for action in try await workflow.correctiveActionViews(application: id) where action.state == .open {
            result.append(Deadline(what: "Corrective action due (\(action.indicator))", due: action.dueAt))
        }
        return result.sorted { $0.due < $1.due }
    }
}
