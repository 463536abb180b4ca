import AccreditationCore
import APIDefinition
import Foundation
import OpenAPIRuntime
import Persistence

extension APIHandler {
    func createPractice(_ input: Operations.CreatePractice.Input) async throws -> Operations.CreatePractice.Output {
        let identity = try Self.caller()
        guard AccessPolicy.isStaff(identity) else { throw Problem.forbidden("Only ASTRO staff register practices.") }
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        guard body.regulator.wholeMatch(of: /US-(NRC|[A-Z]{2})/) != nil else { throw Problem.badRequest("regulator is US-NRC or an Agreement State, US-XX.", field: "regulator") }
        let record = PracticeRecord(
            legalName: try Self.require(body.legalName, "legal_name", max: 300), address: try Self.require(body.address, "address", max: 1000, allowEmpty: true),
            licenceNumber: try Self.require(body.licenceNumber, "licence_number", max: 100), regulator: body.regulator, scope: try Self.scope(body.scope))
        var facilities = [try Self.facility(body.mainFacility, isMain: true)]
        for satellite in body.satellites ?? [] { facilities.append(try Self.facility(satellite, isMain: false)) }
        guard facilities.count <= 101 else { throw Problem.badRequest("At most 100 satellites.") }
        let id = try await Self.domain { try await workflow.createPractice(record, facilities: facilities) }
        return .created(.init(body: .json(.init(try await workflow.practice(id)))))
    }

    func listPractices(_ input: Operations.ListPractices.Input) async throws -> Operations.ListPractices.Output {
        let identity = try Self.caller()
        let limit = try Self.pageSize(input.query.limit)
        if let q = input.query.q, q.unicodeScalars.count > 200 { throw Problem.badRequest("q has at most 200 characters.", field: "q") }
        let only: UUID?
        switch AccessPolicy.practiceScope(as: identity) {
        case .all: only = nil
        case let .practice(practice): only = practice
        case .none: return .ok(.init(body: .json(.init(items: []))))
        }
        let cursor = try input.query.cursor.map(PageCursor.decodeNamed)
        let fetched = try await workflow.practices(matching: input.query.q, only: only, after: cursor, limit: limit + 1)
        let page = Array(fetched.prefix(limit))
        let next = fetched.count > limit ? page.last.map { PageCursor.encodeNamed($0.record.legalName, $0.id) } : nil
        return .ok(.init(body: .json(.init(items: page.map(Components.Schemas.Practice.init), nextCursor: next))))
    }

    func getPractice(_ input: Operations.GetPractice.Input) async throws -> Operations.GetPractice.Output {
        let id = try visiblePractice(input.path.practiceId)
        return .ok(.init(body: .json(.init(try await Self.domain { try await workflow.practice(id) }))))
    }

    func updatePracticeScope(_ input: Operations.UpdatePracticeScope.Input) async throws -> Operations.UpdatePracticeScope.Output {
        let id = try editablePractice(input.path.practiceId)
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        let scope = try Self.scope(body)
        try await Self.domain { try await workflow.updateScope(practice: id, scope: scope) }
        return .ok(.init(body: .json(.init(try await workflow.practice(id)))))
    }

    func addFacility(_ input: Operations.AddFacility.Input) async throws -> Operations.AddFacility.Output {
        let id = try editablePractice(input.path.practiceId)
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        let facility = try Self.facility(body, isMain: false)
        _ = try await Self.domain { try await workflow.addFacility(practice: id, facility) }
        return .created(.init(body: .json(.init(try await workflow.practice(id)))))
    }

    // MARK: -

    /// Another tenant's practice is "not found", like a missing one.
    private func visiblePractice(_ raw: String) throws -> UUID {
        let identity = try Self.caller()
        let id = try Self.uuid(raw, "practice")
        guard AccessPolicy.canView(practice: id, as: identity) else { throw Problem.notFound("No practice \(raw).") }
        return id
    }

    private func editablePractice(_ raw: String) throws -> UUID {
        let id = try visiblePractice(raw)
        guard AccessPolicy.canEdit(practice: id, as: try Self.caller()) else { throw Problem.forbidden("Only the practice's admins and staff change a practice.") }
        return id
    }

    static func scope(_ body: Components.Schemas.PracticeScope) throws -> PracticeScope {
        do {
            return try PracticeScope.checked(
                agents: body.agents.compactMap { RPTAgent(rawValue: $0.rawValue) },
                inpatientTherapy: body.inpatientTherapy ?? false, patientSpecificDosimetry: body.patientSpecificDosimetry ?? false,
                siteCount: body.siteCount ?? 1, licensedUseTypes: body.licensedUseTypes ?? 1, jurisdiction: body.jurisdiction ?? "US-NRC")
        } catch {
            throw Problem.badRequest(error.message, field: error.field)
        }
    }

    static func facility(_ body: Components.Schemas.FacilityCreate, isMain: Bool) throws -> FacilityRecord {
        do {
            return try FacilityRecord.checked(name: body.name, address: body.address, isMain: isMain, distanceMiles: body.distanceMiles)
        } catch {
            throw Problem.badRequest(error.message, field: error.field)
        }
    }
}

extension Components.Schemas.Practice {
    init(_ view: PracticeView) {
        self.init(
            id: APIHandler.id(view.id), legalName: view.record.legalName, address: view.record.address,
            licenceNumber: view.record.licenceNumber, regulator: view.record.regulator,
            scope: .init(agents: view.record.scope.agents.sorted { $0.rawValue < $1.rawValue }.compactMap { .init(rawValue: $0.rawValue) },
                         inpatientTherapy: view.record.scope.inpatientTherapy, patientSpecificDosimetry: view.record.scope.patientSpecificDosimetry,
                         siteCount: view.record.scope.siteCount, licensedUseTypes: view.record.scope.licensedUseTypes,
                         jurisdiction: view.record.scope.jurisdiction),
            facilities: view.facilities.map { .init(id: APIHandler.id($0.id), name: $0.record.name, address: $0.record.address,
                                                    isMain: $0.record.isMain, distanceMiles: $0.record.distanceMiles) },
            createdAt: view.createdAt)
    }
}
