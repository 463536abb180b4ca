import AccreditationCore
import Foundation
import Persistence
import TestSupport
import Testing
import UseCases

/// The use cases called directly, without HTTP: what a person sees of an application and may do, and
/// the refusals, from the same tables the API and the pages ask.
@Suite struct WorkspaceUseCaseTests {
    struct World {
        let workspace: Workspace
        let directory: PracticeDirectory
        let admin: Identity
        let contributor: Identity
        let otherAdmin: Identity
        let staff: Identity
        let application: UUID
    }

    static func world(_ body: @escaping @Sendable (World) async throws -> Void) async throws {
        try await TestDatabase.withClient { client, _ in
            let logger = TestCluster.logger
            _ = try await CatalogStore(client: client, logger: logger).publish(TestApp.rptRelease)
            let store = WorkflowStore(client: client, logger: logger)
            func practice(_ name: String) async throws -> UUID {
                try await store.createPractice(
                    PracticeRecord(legalName: name, address: "", licenceNumber: "L", regulator: "US-NRC", scope: PracticeScope(agents: [.lu177PSMA])),
                    facilities: [FacilityRecord(name: name, address: "", isMain: true, distanceMiles: 0)])
            }
            let a = try await practice("Alpha"), b = try await practice("Beta")
            func person(_ email: String, _ role: Role, _ practice: UUID?) async throws -> Identity {
                let id = try await store.createPerson(email: email, name: email, role: role, practiceID: practice)
                return Identity(personID: id, role: role, practiceID: practice, displayName: email, email: email)
            }
            let admin = try await person("admin@alpha.org", .practiceAdmin, a)
            let contributor = try await person("rso@alpha.org", .practiceContributor, a)
            let other = try await person("admin@beta.org", .practiceAdmin, b)
            let staff = try await person("staff@astro.example", .staff, nil)
            var settings = AccountSettings()
            settings.bcryptCost = 4
            let workspace = Workspace(workflow: store)
            let application = try await workspace.startApplication(practice: a, releaseID: TestApp.rptRelease.releaseID, pathway: .rptStandalone,
                                                                    termYears: 3, as: admin)
            try await body(World(workspace: workspace, directory: PracticeDirectory(workflow: store, accounts: AccountStore(client: client, logger: logger, settings: settings)),
                                 admin: admin, contributor: contributor, otherAdmin: other, staff: staff, application: application))
        }
    }

    @Test func theDetailOffersWhatTheTablesAllowAndHidesOtherTenants() async throws {
        try await Self.world { world in
            let draft = try await world.workspace.application(world.application, as: world.admin)
            #expect(draft.state == .draft)
            #expect(draft.options.transitions.map(\.action).sorted { $0.rawValue < $1.rawValue } == [.submit, .withdraw])
            #expect(!draft.options.allows(.respond))
            #expect(draft.nextStep.who == .practice)
            #expect(draft.progress.total > 0 && draft.progress.answered == 0)
            // A contributor may not submit (the table says practice admins): no button.
            let contributorView = try await world.workspace.application(world.application, as: world.contributor)
            #expect(contributorView.options.transitions.isEmpty)

            await #expect(throws: WorkflowError.self) { try await world.workspace.application(world.application, as: world.otherAdmin) }
            await #expect(throws: WorkflowError.self) {
                try await world.workspace.respond(application: world.application, indicator: try IndicatorCode("GOV-01"), answer: "x",
                                                  expectedVersion: nil, as: world.otherAdmin)
            }
            #expect(try await world.workspace.home(for: world.otherAdmin).isEmpty)
            #expect(try await world.workspace.home(for: world.admin).map(\.application.summary.id) == [world.application])
        }
    }

    @Test func commandsRefuseWithTheDomainsErrors() async throws {
        try await Self.world { world in
            let id = world.application
            // Answering a draft is refused by the record-action table (wrong state).
            do {
                try await world.workspace.respond(application: id, indicator: try IndicatorCode("GOV-01"), answer: "Yes", expectedVersion: nil, as: world.admin)
                Issue.record("a draft took an answer")
            } catch let WorkflowError.invalid(reason) {
                #expect(reason == "Cannot answer the self-assessment while the application is draft.")
            }
            try await world.workspace.fire(.submit, application: id, expectedVersion: 1, as: world.admin)
            try await world.workspace.fire(.beginIntake, application: id, expectedVersion: 2, as: world.staff)
            try await world.workspace.fire(.acceptIntake, application: id, expectedVersion: 3, as: world.staff)
            // Bounded text is checked before anything is stored.
            await #expect(throws: FieldError(field: "answer", message: "answer must not be empty.")) {
                try await world.workspace.respond(application: id, indicator: try IndicatorCode("GOV-01"), answer: " \n", expectedVersion: nil, as: world.contributor)
            }
            #expect(try await world.workspace.respond(application: id, indicator: try IndicatorCode("GOV-01"), answer: "Yes", expectedVersion: nil,
                                                      as: world.contributor) == 1)
            // A stale version is a conflict, never a lost update.
            await #expect(throws: WorkflowError.stale(expected: 3, current: 1)) {
                try await world.workspace.respond(application: id, indicator: try IndicatorCode("GOV-01"), answer: "No", expectedVersion: 3, as: world.contributor)
            }
            let detail = try await world.workspace.application(id, as: world.admin)
            #expect(detail.state == .selfAssessment)
            #expect(detail.progress.answered == 1)
            #expect(detail.selfAssessmentEnds != nil)
            let submit = try #require(detail.options.transitions.first { $0.action == .submitSelfAssessment })
            #expect(submit.blockedBecause?.contains("no self-assessment response for") == true)
            #expect(submit.concerns.contains("GOV-02") && !submit.concerns.contains("GOV-01"))
            #expect(try await world.workspace.verifyHistory(id, as: world.admin).isIntact)
        }
    }

    @Test func practiceProfileAndPeopleFollowThePolicy() async throws {
        try await Self.world { world in
            let profile = try await world.directory.profile(as: world.contributor)
            #expect(!profile.canEdit)
            #expect(profile.criteria?.decisions.isEmpty == false)
            let scope = try PracticeScope.checked(agents: [.ra223, .i131], inpatientTherapy: true, patientSpecificDosimetry: false,
                                                  siteCount: 2, licensedUseTypes: 2, jurisdiction: "US-TX")
            await #expect(throws: WorkflowError.self) { try await world.directory.updateScope(scope, as: world.contributor) }
            try await world.directory.updateScope(scope, as: world.admin)
            #expect(try await world.directory.profile(as: world.admin).practice.record.scope == scope)
            await #expect(throws: WorkflowError.self) { try await world.directory.profile(as: world.staff) }

            #expect(try await world.directory.people(as: world.contributor).invitableRoles.isEmpty)
            let invitation = try await world.directory.invite(email: "New.Person@Alpha.org", displayName: "New Person", role: .practiceContributor,
                                                             as: world.admin)
            #expect(invitation.email == "new.person@alpha.org")
            let people = try await world.directory.people(as: world.admin)
            #expect(people.pending.map(\.email) == ["new.person@alpha.org"])
            #expect(people.people.count == 2)
            await #expect(throws: (any Error).self) {
                try await world.directory.invite(email: "x@alpha.org", displayName: "X", role: .staff, as: world.admin)
            }
            #expect(throws: FieldError.self) {
                try PracticeScope.checked(agents: [], inpatientTherapy: false, patientSpecificDosimetry: false, siteCount: 0, licensedUseTypes: 1,
                                          jurisdiction: "US-NRC")
            }
        }
    }
}
