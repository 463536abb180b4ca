import AccreditationCore
import APIDefinition
import Persistence
@testable import Server
import Testing

/// The API document lists every value of the domain's enums that the presenters send (`APIHandler.wire`
/// stops the process rather than answer a default, so this test is what keeps that unreachable).
@Suite struct WireEnumTests {
    static func covers<Model, Wire: RawRepresentable, Domain: RawRepresentable & CaseIterable>(
        _ path: KeyPath<Model, Wire>, _ domain: Domain.Type
    ) -> [String] where Wire.RawValue == String, Domain.RawValue == String {
        Domain.allCases.map(\.rawValue).filter { Wire(rawValue: $0) == nil }
    }

    @Test func everyDomainValueHasAWireValue() {
        #expect(Self.covers(\Components.Schemas.Application.pathway, Pathway.self).isEmpty)
        #expect(Self.covers(\Components.Schemas.Application.VisitPayload.mode, VisitMode.self).isEmpty)
        #expect(Self.covers(\Components.Schemas.EvidenceDocument.kind, EvidenceKind.self).isEmpty)
        #expect(Self.covers(\Components.Schemas.EvidenceDocument.state, Workflows.EvidenceState.self).isEmpty)
        #expect(Self.covers(\Components.Schemas.Assignment.state, Workflows.AssignmentState.self).isEmpty)
        #expect(Self.covers(\Components.Schemas.Rfi.state, Workflows.RFIState.self).isEmpty)
        #expect(Self.covers(\Components.Schemas.CorrectiveAction.state, Workflows.CorrectiveActionState.self).isEmpty)
        // People have every role but `system`, which is the scheduler's, never a person's (a CHECK says so).
        #expect(Role.allCases.filter { $0 != .system }.allSatisfy { Components.Schemas.PersonRole(rawValue: $0.rawValue) != nil })
        #expect([3, 4].allSatisfy { Components.Schemas.Application.TermYearsPayload(rawValue: $0) != nil })
    }
}
