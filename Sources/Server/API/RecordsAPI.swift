import AccreditationCore
import APIDefinition
import Foundation
import OpenAPIRuntime
import Persistence
import UseCases

/// The records worked on under an application: responses, scores, the survey team, RFIs and corrective
/// actions. Each record's own lifecycle is fired like the application's, on the version the caller saw.
extension APIHandler {
    // MARK: - Self-assessment

    func listResponses(_ input: Operations.ListResponses.Input) async throws -> Operations.ListResponses.Output {
        let (id, _) = try await visibleApplication(input.path.applicationId)
        let items = try await workflow.responses(application: id).map {
            Components.Schemas.Response(indicator: $0.indicator, answer: $0.answer, version: $0.version,
                                        respondedBy: Self.id($0.respondedBy), respondedAt: $0.respondedAt)
        }
        return .ok(.init(body: .json(.init(items: items))))
    }

    /// The use case checks visibility, the answer and the tables; this translates wire to call and back.
    func putResponse(_ input: Operations.PutResponse.Input) async throws -> Operations.PutResponse.Output {
        let identity = try Self.caller()
        guard let id = UUID(uuidString: input.path.applicationId) else { throw Problem.notFound("No application \(input.path.applicationId).") }
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        let version = try await Self.domain {
            try await workspace.respond(application: id, indicator: try IndicatorCode(input.path.code), answer: body.answer,
                                        expectedVersion: body.version.flatMap { $0 == 0 ? nil : $0 }, as: identity)
        }
        return .ok(.init(body: .json(.init(version: version))))
    }

    // MARK: - Scores

    func listScores(_ input: Operations.ListScores.Input) async throws -> Operations.ListScores.Output {
        let (id, _) = try await visibleApplication(input.path.applicationId)
        let items = try await workflow.scores(application: id).map {
            Components.Schemas.Score(indicator: $0.indicator, value: $0.value, rationale: $0.rationale, evidenceIds: $0.evidence.map(Self.id),
                                     version: $0.version, scoredBy: Self.id($0.scoredBy), scoredAt: $0.scoredAt)
        }
        return .ok(.init(body: .json(.init(items: items))))
    }

    func putScore(_ input: Operations.PutScore.Input) async throws -> Operations.PutScore.Output {
        let (id, identity) = try await visibleApplication(input.path.applicationId)
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        guard let value = ScoreValue(rawValue: body.value.rawValue) else { throw Problem.badRequest("Unknown score value.") }
        let rationale = try Self.require(body.rationale, "rationale", max: 20_000)
        let evidence = try (body.evidenceIds ?? []).map { try Self.uuid($0, "evidence document") }
        guard evidence.count <= 100 else { throw Problem.badRequest("At most 100 evidence_ids.", field: "evidence_ids") }
        let version = try await Self.domain {
            try await workflow.score(application: id, indicator: try Self.indicatorCode(input.path.code), value: value, rationale: rationale, evidence: evidence,
                                     actor: identity.actor, expectedVersion: body.version.flatMap { $0 == 0 ? nil : $0 })
        }
        return .ok(.init(body: .json(.init(version: version))))
    }

    // MARK: - Survey team

    func listAssignments(_ input: Operations.ListAssignments.Input) async throws -> Operations.ListAssignments.Output {
        let (id, _) = try await visibleApplication(input.path.applicationId)
        return .ok(.init(body: .json(.init(items: try await workflow.assignments(application: id).map(Components.Schemas.Assignment.init)))))
    }

    func proposeAssignment(_ input: Operations.ProposeAssignment.Input) async throws -> Operations.ProposeAssignment.Output {
        let (id, identity) = try await visibleApplication(input.path.applicationId)
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        let surveyor = try Self.uuid(body.surveyorId, "surveyor")
        let assignment = try await Self.domain { try await workflow.proposeAssignment(application: id, surveyor: surveyor, actor: identity.actor) }
        guard let view = try await workflow.assignments(application: id).first(where: { $0.id == assignment }) else { throw Problem.internalError }
        return .created(.init(body: .json(.init(view))))
    }

    func fireAssignmentTransition(_ input: Operations.FireAssignmentTransition.Input) async throws -> Operations.FireAssignmentTransition.Output {
        let identity = try Self.caller()
        let assignmentID = try Self.uuid(input.path.assignmentId, "assignment")
        // The proposed surveyor cannot see the application yet (they have not accepted): the assignment
        // itself is what they may act on.
        let assignments = try await workflow.assignments(application: try Self.uuid(input.path.applicationId, "application"))
        guard let assignment = assignments.first(where: { $0.id == assignmentID }) else { throw Problem.notFound("No assignment \(input.path.assignmentId).") }
        if assignment.surveyorID != identity.personID { _ = try await visibleApplication(input.path.applicationId) }
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        guard let action = Workflows.AssignmentAction(rawValue: body.action) else { throw Self.unknownAction(body.action, "assignment") }
        let result = try await recordTransition(input.headers.idempotencyKey, identity, "assignment", assignmentID, body) { expected in
            try await workflow.fire(action, assignment: assignmentID, actor: identity.actor, expectedVersion: expected,
                                    attestation: body.text, reason: body.reason ?? "")
        }
        return .ok(.init(body: .json(.init(state: result.state, version: result.version))))
    }

    // MARK: - Requests for information

    func listRfis(_ input: Operations.ListRfis.Input) async throws -> Operations.ListRfis.Output {
        let (id, _) = try await visibleApplication(input.path.applicationId)
        return .ok(.init(body: .json(.init(items: try await workflow.rfis(application: id).map(Components.Schemas.Rfi.init)))))
    }

    func openRfi(_ input: Operations.OpenRfi.Input) async throws -> Operations.OpenRfi.Output {
        let (id, identity) = try await visibleApplication(input.path.applicationId)
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        let question = try Self.require(body.question, "question", max: 20_000)
        let indicator = try body.indicator.map(Self.indicatorCode)
        let rfi = try await Self.domain { try await workflow.openRFI(application: id, indicator: indicator, question: question, actor: identity.actor) }
        guard let view = try await workflow.rfis(application: id).first(where: { $0.id == rfi }) else { throw Problem.internalError }
        return .created(.init(body: .json(.init(view))))
    }

    func fireRfiTransition(_ input: Operations.FireRfiTransition.Input) async throws -> Operations.FireRfiTransition.Output {
        let (id, identity) = try await visibleApplication(input.path.applicationId)
        let rfi = try Self.uuid(input.path.rfiId, "RFI")
        guard try await workflow.rfis(application: id).contains(where: { $0.id == rfi }) else { throw Problem.notFound("No RFI \(input.path.rfiId).") }
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        guard let action = Workflows.RFIAction(rawValue: body.action) else { throw Self.unknownAction(body.action, "RFI") }
        let result = try await recordTransition(input.headers.idempotencyKey, identity, "rfi", rfi, body) { expected in
            try await workflow.fire(action, rfi: rfi, actor: identity.actor, expectedVersion: expected, answer: body.text, reason: body.reason ?? "")
        }
        return .ok(.init(body: .json(.init(state: result.state, version: result.version))))
    }

    // MARK: - Corrective actions

    func listCorrectiveActions(_ input: Operations.ListCorrectiveActions.Input) async throws -> Operations.ListCorrectiveActions.Output {
        let (id, _) = try await visibleApplication(input.path.applicationId)
        let items = try await workflow.correctiveActionViews(application: id).map(Components.Schemas.CorrectiveAction.init)
        return .ok(.init(body: .json(.init(items: items))))
    }

    func fireCorrectiveActionTransition(_ input: Operations.FireCorrectiveActionTransition.Input) async throws -> Operations.FireCorrectiveActionTransition.Output {
        let (id, identity) = try await visibleApplication(input.path.applicationId)
        let item = try Self.uuid(input.path.itemId, "corrective action")
        guard try await workflow.correctiveActionViews(application: id).contains(where: { $0.id == item }) else {
            throw Problem.notFound("No corrective action \(input.path.itemId).")
        }
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        guard let action = Workflows.CorrectiveActionAction(rawValue: body.action) else { throw Self.unknownAction(body.action, "corrective-action") }
        let result = try await recordTransition(input.headers.idempotencyKey, identity, "corrective-action", item, body) { expected in
            try await workflow.fire(action, correctiveAction: item, actor: identity.actor, expectedVersion: expected,
                                    response: body.text, reason: body.reason ?? "")
        }
        return .ok(.init(body: .json(.init(state: result.state, version: result.version))))
    }

    // MARK: -

    /// A record's transition: the version from the body, the domain's refusals as problems, and at most
    /// once per Idempotency-Key.
    func recordTransition(_ key: String?, _ identity: Identity, _ machine: String, _ subject: UUID,
                          _ body: Components.Schemas.RecordTransitionRequest,
                          _ fire: (Int) async throws -> Fired) async throws -> (state: String, version: Int) {
        guard let expected = body.version else { throw Problem.badRequest("Send the version of the record you saw as version.", field: "version") }
        if let text = body.text, text.unicodeScalars.count > 20_000 { throw Problem.badRequest("text has at most 20000 characters.", field: "text") }
        if let reason = body.reason, reason.unicodeScalars.count > 4_000 { throw Problem.badRequest("reason has at most 4000 characters.", field: "reason") }
        let fingerprint = Self.fingerprint(machine, subject, body.action, expected, body.reason ?? "", body.text ?? "")
        return try await idempotent(key, person: identity.personID, fingerprint: fingerprint) {
            try await Self.domain { try await fire(expected) }
        }
    }

    static func unknownAction(_ action: String, _ machine: String) -> Problem {
        Problem(status: .unprocessableContent, type: Problem.typeBase + "unknown-action", title: "Unknown action",
                detail: "'\(action)' is not a \(machine) action.")
    }
}

extension Components.Schemas.Rfi {
    init(_ rfi: RFIView) {
        self.init(id: APIHandler.id(rfi.id), applicationId: APIHandler.id(rfi.applicationID), indicator: rfi.indicator, question: rfi.question,
                  answer: rfi.answer, state: APIHandler.wire(rfi.state), version: rfi.version, dueAt: rfi.dueAt)
    }
}

extension Components.Schemas.CorrectiveAction {
    init(_ item: CorrectiveActionView) {
        self.init(id: APIHandler.id(item.id), applicationId: APIHandler.id(item.applicationID), indicator: item.indicator,
                  description: item.description, response: item.response, state: APIHandler.wire(item.state),
                  version: item.version, dueAt: item.dueAt)
    }
}
