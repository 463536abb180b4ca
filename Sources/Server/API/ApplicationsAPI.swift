import AccreditationCore
import APIDefinition
import Foundation
import OpenAPIRuntime
import Persistence

extension APIHandler {
    /// The application if the signed-in person may see it; nil answers 404 (never 403, so other tenants'
    /// applications cannot be discovered).
    private func visible(_ raw: String) async throws -> (UUID, Identity)? {
        guard let identity = RequestScope.identity else { return nil }
        guard let id = UUID(uuidString: raw), let facts = try await workflow.accessFacts(application: id),
              AccessPolicy.canView(facts, as: identity) else { return nil }
        return (id, identity)
    }

    private static func notFound(_ raw: String) -> Components.Schemas.Problem {
        .notFound("No application \(raw).")
    }

    static func etag(_ version: Int) -> String { "\"v\(version)\"" }

    /// `"v3"`, `W/"v3"`, `"3"` or `3`.
    static func version(fromIfMatch header: String) -> Int? {
        var text = header.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("W/") { text.removeFirst(2) }
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        if text.hasPrefix("v") { text.removeFirst() }
        return Int(text)
    }

    func getApplication(_ input: Operations.GetApplication.Input) async throws -> Operations.GetApplication.Output {
        guard RequestScope.identity != nil else { return .unauthorized(.init(body: .applicationProblemJson(Self.unauthorized()))) }
        guard let (id, _) = try await visible(input.path.applicationId) else {
            return .notFound(.init(body: .applicationProblemJson(Self.notFound(input.path.applicationId))))
        }
        let application = try await workflow.application(id)
        return .ok(.init(headers: .init(eTag: Self.etag(application.version)), body: .json(.init(application))))
    }

    func getApplicationHistory(_ input: Operations.GetApplicationHistory.Input) async throws -> Operations.GetApplicationHistory.Output {
        guard RequestScope.identity != nil else { return .unauthorized(.init(body: .applicationProblemJson(Self.unauthorized()))) }
        guard let (id, _) = try await visible(input.path.applicationId) else {
            return .notFound(.init(body: .applicationProblemJson(Self.notFound(input.path.applicationId))))
        }
        let events = try await workflow.history(of: id).map { event in
            Components.Schemas.HistoryEvent(
                id: event.id, seq: event.seq, occurredAt: event.occurredAt, actorId: event.actorID?.uuidString.lowercased(),
                actorRole: event.actorRole, machine: event.machine, subjectId: event.subjectID.uuidString.lowercased(), action: event.action,
                fromState: event.fromState, toState: event.toState, reason: event.reason, hash: event.hash, prevHash: event.prevHash)
        }
        return .ok(.init(body: .json(.init(items: events))))
    }

    func fireTransition(_ input: Operations.FireTransition.Input) async throws -> Operations.FireTransition.Output {
        guard RequestScope.identity != nil else { return .unauthorized(.init(body: .applicationProblemJson(Self.unauthorized()))) }
        guard let (id, identity) = try await visible(input.path.applicationId) else {
            return .notFound(.init(body: .applicationProblemJson(Self.notFound(input.path.applicationId))))
        }
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        let ifMatch = input.headers.ifMatch
        let expected: Int
        if let ifMatch {
            guard let parsed = Self.version(fromIfMatch: ifMatch) else { throw Problem.badRequest("If-Match must be the ETag of the application, e.g. \"v3\".") }
            expected = parsed
        } else if let version = body.version {
            expected = version
        } else {
            throw Problem.badRequest("Send the version you saw, as If-Match (the ETag) or as version in the body.")
        }
        guard let action = ApplicationAction(rawValue: body.action) else {
            return .unprocessableContent(.init(body: .applicationProblemJson(.init(
                _type: Problem.typeBase + "unknown-action", title: "Unknown action", status: 422,
                detail: "'\(body.action)' is not an application action."))))
        }
        do {
            let fired = try await workflow.fire(action, application: id, actor: identity.actor, expectedVersion: expected,
                                                reason: body.reason ?? "", payload: body.payload?.additionalProperties ?? [:])
            return .ok(.init(headers: .init(eTag: Self.etag(fired.version)), body: .json(.init(state: fired.state, version: fired.version))))
        } catch let error as WorkflowError {
            switch error {
            case .notFound:
                return .notFound(.init(body: .applicationProblemJson(Self.notFound(input.path.applicationId))))
            case let .stale(_, current):
                let problem = Components.Schemas.Problem(_type: Problem.typeBase + "stale-version", title: "Stale version",
                                                         status: ifMatch == nil ? 409 : 412, detail: "\(error) The current ETag is \(Self.etag(current)).")
                return ifMatch == nil ? .conflict(.init(body: .applicationProblemJson(problem))) : .preconditionFailed(.init(body: .applicationProblemJson(problem)))
            case .refused(.notAllowedInState), .refused(.unknownAction):
                return .conflict(.init(body: .applicationProblemJson(.init(
                    _type: Problem.typeBase + "not-allowed-in-state", title: "Not possible now", status: 409, detail: error.description))))
            case .refused(.roleNotAllowed):
                return .forbidden(.init(body: .applicationProblemJson(.init(
                    _type: Problem.typeBase + "role-not-allowed", title: "Not allowed for this role", status: 403, detail: error.description))))
            case let .refused(.guardFailed(rule, _)):
                return .unprocessableContent(.init(body: .applicationProblemJson(.init(
                    _type: Problem.typeBase + "guard-refused/" + rule.rawValue, title: "Refused by guard \(rule.rawValue)", status: 422,
                    detail: error.description))))
            case .invalid:
                return .unprocessableContent(.init(body: .applicationProblemJson(.init(
                    _type: Problem.typeBase + "invalid", title: "Invalid request", status: 422, detail: error.description))))
            }
        }
    }
}

extension Components.Schemas.Application {
    init(_ application: WorkflowStore.ApplicationSummary) {
        self.init(id: application.id.uuidString.lowercased(), practiceId: application.practiceID.uuidString.lowercased(),
                  releaseId: application.releaseID, state: application.state, version: application.version,
                  termStart: application.termStart, termEnd: application.termEnd,
                  previousApplicationId: application.previousApplicationID?.uuidString.lowercased())
    }
}
