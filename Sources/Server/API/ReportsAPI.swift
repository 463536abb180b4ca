import AccreditationCore
import APIDefinition
import Foundation
import OpenAPIRuntime
import Persistence

/// Staff views across every application.
extension APIHandler {
    private static func staff() throws {
        guard AccessPolicy.isStaff(try caller()) else { throw Problem.forbidden("Reports are for ASTRO staff.") }
    }

    func getPipeline(_ input: Operations.GetPipeline.Input) async throws -> Operations.GetPipeline.Output {
        try Self.staff()
        return .ok(.init(body: .json(.init(items: try await workflow.pipeline().map { .init(state: $0.state, count: $0.count) }))))
    }

    func listExpiring(_ input: Operations.ListExpiring.Input) async throws -> Operations.ListExpiring.Output {
        try Self.staff()
        let days = input.query.withinDays ?? 90
        guard (1...3650).contains(days) else { throw Problem.badRequest("within_days is 1 to 3650.", field: "within_days") }
        return .ok(.init(body: .json(.init(items: try await workflow.expiring(withinDays: days).map(Components.Schemas.Application.init)))))
    }

    func listOverdue(_ input: Operations.ListOverdue.Input) async throws -> Operations.ListOverdue.Output {
        try Self.staff()
        return .ok(.init(body: .json(.init(
            rfis: try await workflow.rfis(application: nil, overdueOnly: true).map(Components.Schemas.Rfi.init),
            correctiveActions: try await workflow.correctiveActionViews(application: nil, overdueOnly: true).map(Components.Schemas.CorrectiveAction.init)))))
    }
}
