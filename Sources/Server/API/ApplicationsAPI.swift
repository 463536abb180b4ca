import AccreditationCore
import APIDefinition
import Foundation
import NIOCore
import OpenAPIRuntime
import Persistence

extension APIHandler {
    func createApplication(_ input: Operations.CreateApplication.Input) async throws -> Operations.CreateApplication.Output {
        let identity = try Self.caller()
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        let practice = try Self.uuid(body.practiceId, "practice")
        // A practice's people may start applications only for their own practice; others' are not found.
        guard AccessPolicy.mayReachPractice(practice, toCreateApplicationAs: identity) else {
            throw Problem.notFound("No practice \(body.practiceId).")
        }
        guard let pathway = Pathway(rawValue: body.pathway.rawValue) else { throw Problem.badRequest("Unknown pathway.") }
        let id = try await Self.domain {
            try await workflow.createApplication(practiceID: practice, releaseID: body.releaseId, pathway: pathway,
                                                 termYears: body.termYears.rawValue, actor: identity.actor)
        }
        let view = try await workflow.applicationView(id)
        return .created(.init(headers: .init(eTag: Self.etag(view.summary.version)), body: .json(.init(view))))
    }

    func listApplications(_ input: Operations.ListApplications.Input) async throws -> Operations.ListApplications.Output {
        let identity = try Self.caller()
        let limit = try Self.pageSize(input.query.limit)
        var filter = ApplicationFilter(state: input.query.state, pathway: input.query.pathway?.rawValue,
                                       termEndsBy: try input.query.termEndBefore.map { try Self.calendarDate($0, "term_end_before") },
                                       practiceName: input.query.practiceName)
        if let raw = input.query.practiceId {
            guard let practice = UUID(uuidString: raw) else { throw Problem.badRequest("practice_id is a UUID.", field: "practice_id") }
            filter.practiceID = practice
        }
        if let name = filter.practiceName, name.unicodeScalars.count > 200 { throw Problem.badRequest("practice_name has at most 200 characters.", field: "practice_name") }
        if let state = filter.state, state.unicodeScalars.count > 64 { throw Problem.badRequest("state has at most 64 characters.", field: "state") }
        let cursor = try input.query.cursor.map(PageCursor.decodeTimed)
        // One more than the page tells whether another page follows.
        let fetched = try await workflow.applications(AccessPolicy.listable(as: identity), filter: filter, after: cursor, limit: limit + 1)
        let page = Array(fetched.prefix(limit))
        let next = fetched.count > limit ? page.last.map { PageCursor.encodeTimed($0.createdAt, $0.summary.id) } : nil
        return .ok(.init(body: .json(.init(items: page.map(Components.Schemas.Application.init), nextCursor: next))))
    }

    func getApplication(_ input: Operations.GetApplication.Input) async throws -> Operations.GetApplication.Output {
        let identity = try Self.caller()
        // The hottest read: from the cache of changes heard, or the record and its access facts in one
        // query; then the same policy as everywhere.
        let missing = Problem.notFound("No application \(input.path.applicationId).")
        guard let id = UUID(uuidString: input.path.applicationId) else { throw missing }
        let (cached, ticket) = applicationCache.lookup(id)
        var found = cached
        if found == nil, let fresh = try await workflow.applicationWithFacts(id) {
            applicationCache.store(fresh, for: id, ticket: ticket)
            found = fresh
        }
        guard let (view, facts) = found, AccessPolicy.canView(facts, as: identity) else { throw missing }
        let answer = Components.Schemas.Application(view)
        if let body = try? Self.responseEncoder.encode(answer) {
            applicationCache.attach(body: ByteBuffer(bytes: body), to: id, view: view)
        }
        return .ok(.init(headers: .init(eTag: Self.etag(view.summary.version)), body: .json(answer)))
    }

    func getApplicationHistory(_ input: Operations.GetApplicationHistory.Input) async throws -> Operations.GetApplicationHistory.Output {
        let (id, _) = try await visibleApplication(input.path.applicationId)
        let events = try await workflow.history(of: id).map { event in
            Components.Schemas.HistoryEvent(
                id: event.id, seq: event.seq, occurredAt: event.occurredAt, actorId: event.actorID.map(Self.id),
                actorRole: event.actorRole, machine: event.machine, subjectId: Self.id(event.subjectID), action: event.action,
                fromState: event.fromState, toState: event.toState, reason: event.reason, hash: event.hash, prevHash: event.prevHash)
        }
        return .ok(.init(body: .json(.init(items: events))))
    }

    func verifyApplicationHistory(_ input: Operations.VerifyApplicationHistory.Input) async throws -> Operations.VerifyApplicationHistory.Output {
        let (id, _) = try await visibleApplication(input.path.applicationId)
        let report = try await workflow.verifyHistory(application: id)
        let firstBreak = report.breaks.first.map { Components.Schemas.ChainVerification.FirstBreakPayload(eventId: $0.eventID, seq: $0.seq, problem: $0.problem) }
        return .ok(.init(body: .json(.init(intact: report.isIntact, events: report.events, firstBreak: firstBreak))))
    }

    func fireTransition(_ input: Operations.FireTransition.Input) async throws -> Operations.FireTransition.Output {
        let (id, identity) = try await visibleApplication(input.path.applicationId)
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        let expected = try Self.expectedVersion(ifMatch: input.headers.ifMatch, body: body.version)
        guard let action = ApplicationAction(rawValue: body.action) else {
            throw Problem(status: .unprocessableContent, type: Problem.typeBase + "unknown-action", title: "Unknown action",
                          detail: "'\(body.action)' is not an application action.")
        }
        let payload = body.payload?.additionalProperties ?? [:]
        guard (body.reason ?? "").unicodeScalars.count <= 4_000, payload.count <= 20,
              payload.allSatisfy({ $0.key.unicodeScalars.count <= 64 && $0.value.unicodeScalars.count <= 4_000 }) else {
            throw Problem.badRequest("reason and payload values have at most 4000 characters; payload has at most 20 keys of 64 characters.")
        }
        let fingerprint = Self.fingerprint("application", id, body.action, expected, body.reason ?? "", payload.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        let result = try await idempotent(input.headers.idempotencyKey, person: identity.personID, fingerprint: fingerprint) {
            try await Self.domain(ifMatch: input.headers.ifMatch != nil) {
                try await workflow.fire(action, application: id, actor: identity.actor, expectedVersion: expected,
                                        reason: body.reason ?? "", payload: payload)
            }
        }
        return .ok(.init(headers: .init(eTag: Self.etag(result.version)), body: .json(.init(state: result.state, version: result.version))))
    }

    func listApplicableIndicators(_ input: Operations.ListApplicableIndicators.Input) async throws -> Operations.ListApplicableIndicators.Output {
        let (id, _) = try await visibleApplication(input.path.applicationId)
        let decisions = try await workflow.applicableIndicators(application: id)
        let progress = Dictionary(uniqueKeysWithValues: try await workflow.progress(application: id).map { ($0.code, $0) })
        let responses = Dictionary(uniqueKeysWithValues: try await workflow.responses(application: id).map { ($0.indicator, $0.version) })
        let items = decisions.map { decision in
            let indicator = decision.indicator.indicator
            return Components.Schemas.ApplicableIndicator(
                code: indicator.code, title: indicator.title, domain: decision.indicator.domain, standard: decision.indicator.standard,
                level: indicator.level.rawValue, reason: decision.reason, responseVersion: responses[indicator.code],
                evidenceCount: progress[indicator.code]?.evidenceCount ?? 0, score: progress[indicator.code]?.score?.rawValue)
        }
        return .ok(.init(body: .json(.init(items: items))))
    }

    func listFiledRecords(_ input: Operations.ListFiledRecords.Input) async throws -> Operations.ListFiledRecords.Output {
        let (id, _) = try await visibleApplication(input.path.applicationId)
        let items = try await workflow.filedRecords(application: id).map { record in
            Components.Schemas.FiledRecord(
                id: Self.id(record.id), kind: .init(rawValue: record.kind) ?? .determination, text: record.text,
                outcome: record.outcome.flatMap(Components.Schemas.FiledRecord.OutcomePayload.init(rawValue:)),
                recommendation: record.recommendation, by: Self.id(record.by), at: record.at)
        }
        return .ok(.init(body: .json(.init(items: items))))
    }

    func getRecommendation(_ input: Operations.GetRecommendation.Input) async throws -> Operations.GetRecommendation.Output {
        let (id, _) = try await visibleApplication(input.path.applicationId)
        let report = try await workflow.scoreReport(application: id)
        func tally(_ tally: ScoreReport.Tally) -> Components.Schemas.Tally {
            .init(code: tally.code, compliant: tally.compliant, partiallyCompliant: tally.partiallyCompliant, nonCompliant: tally.nonCompliant,
                  notApplicable: tally.notApplicable, unscored: tally.unscored, compliance: tally.compliance)
        }
        return .ok(.init(body: .json(.init(
            determination: report.recommendation.determination.flatMap { .init(rawValue: $0.rawValue) },
            drivers: report.recommendation.drivers, explanation: report.recommendation.explanation,
            standards: report.standards.map(tally), domains: report.domains.map(tally)))))
    }

    // MARK: - Idempotency

    /// What a request asked for, so a replayed key can be told from a reused one.
    static func fingerprint(_ parts: Any...) -> String {
        Encoding.sha256Hex(Data(parts.map { "\($0)" }.joined(separator: "\u{1F}").utf8))
    }

    /// Runs a transition at most once per `Idempotency-Key`: a retry with the same request gets the first
    /// answer, the same key with a different request 422, a retry while the first still runs 409.
    func idempotent(_ key: String?, person: UUID, fingerprint: String,
                    _ body: () async throws -> Fired) async throws -> (state: String, version: Int) {
        guard let key else {
            let fired = try await body()
            return (fired.state, fired.version)
        }
        guard (1...200).contains(key.count) else { throw Problem.badRequest("Idempotency-Key has 1 to 200 characters.", field: "Idempotency-Key") }
        switch try await idempotency.begin(person: person, key: key) {
        case .inProgress:
            throw Problem.conflict("idempotency-key-in-use", "Request in progress", "A request with this Idempotency-Key is still running.")
        case let .replay(stored, response):
            guard stored == fingerprint else { throw Problem.idempotencyKeyReused }
            let parts = response.split(separator: " ")
            guard parts.count == 2, let version = Int(parts[1]) else { throw Problem.internalError }
            return (String(parts[0]), version)
        case .fresh:
            let fired: Fired
            do {
                fired = try await body()
            } catch {
                // Unstructured: a request cancelled at its deadline must still free its key.
                try? await Task { try await idempotency.abandon(person: person, key: key) }.value
                throw error
            }
            // The work is done: a failure to record the answer must not free the key for a second run.
            do {
                try await Task { try await idempotency.finish(person: person, key: key, fingerprint: fingerprint, response: "\(fired.state) \(fired.version)") }.value
            } catch {
                requestLogger.error("Could not record an idempotent answer; the key stays claimed", metadata: ["error": "\(error)"])
            }
            return (fired.state, fired.version)
        }
    }
}

extension Problem {
    static let idempotencyKeyReused = Problem(
        status: .unprocessableContent, type: typeBase + "idempotency-key-reused", title: "Idempotency key reused",
        detail: "This Idempotency-Key was used for a different request; use a new key for a new request.")
}

extension Components.Schemas.Application {
    init(_ view: ApplicationView) {
        let application = view.summary
        self.init(
            id: APIHandler.id(application.id), practiceId: APIHandler.id(application.practiceID), practiceName: view.practiceName,
            releaseId: application.releaseID, pathway: APIHandler.wire(view.pathway),
            termYears: APIHandler.wire(term: view.termYears), state: application.state.rawValue, version: application.version,
            termStart: application.termStart, termEnd: application.termEnd,
            previousApplicationId: application.previousApplicationID.map(APIHandler.id),
            visit: view.visit.map { .init(mode: APIHandler.wire($0.mode), date: $0.date) },
            createdAt: view.createdAt, updatedAt: view.updatedAt)
    }
}
