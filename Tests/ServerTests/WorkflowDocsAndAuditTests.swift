import AccreditationCore
import Foundation
import Persistence
import PostgresNIO
import TestSupport
import Testing

@Suite struct WorkflowDocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func checkedInWorkflowDocumentIsCurrent() throws {
        let checkedIn = try String(contentsOf: Self.root.appendingPathComponent("docs/workflow.md"), encoding: .utf8)
        #expect(checkedIn == WorkflowDocument.markdown(),
                "docs/workflow.md is stale: run `swift run apex workflow docs > docs/workflow.md`")
    }

    @Test func diagramCommandRejectsUnknownInput() async throws {
        let badFormat = try await ApexProcess.run(["workflow", "diagram", "--format", "svg"])
        #expect(badFormat.status != 0 && badFormat.output.contains("--format must be mermaid or dot, not 'svg'."))
        let badMachine = try await ApexProcess.run(["workflow", "diagram", "visit"])
        #expect(badMachine.status != 0 && badMachine.output.contains("Unknown machine 'visit'"))
        let dot = try await ApexProcess.run(["workflow", "diagram", "--format", "dot", "assignment"])
        #expect(dot.status == 0 && dot.output.hasPrefix("digraph \"assignment\""))
    }
}

@Suite struct AuditCommandTests {
    static func url(_ settings: DatabaseSettings) -> String {
        guard case let .unixSocket(path) = settings.endpoint else { return "" }
        let folder = (path as NSString).deletingLastPathComponent
        return "postgres://\(settings.username)@localhost/\(settings.database)?host=\(folder)"
    }

    @Test func verifyPassesThenReportsTheFirstBrokenLink() async throws {
        try await TestDatabase.with { database in
            // A short real history: one application created and submitted.
            let release = TestApp.rptRelease
            let ids: (UUID, Int64) = try await Database.withClient(database.settings, logger: TestCluster.logger) { client in
                _ = try await CatalogStore(client: client, logger: TestCluster.logger).publish(release)
                let store = WorkflowStore(client: client, logger: TestCluster.logger)
                let practice = try await store.createPractice(
                    PracticeRecord(legalName: "Lakeside", address: "2 Lake Rd", licenceNumber: "L-1", regulator: "US-NRC", scope: PracticeScope(agents: [.ra223])),
                    facilities: [FacilityRecord(name: "Main", address: "2 Lake Rd", isMain: true, distanceMiles: 0)])
                let admin = try await store.createPerson(email: "a@lakeside.org", name: "A", role: .practiceAdmin, practiceID: practice)
                let application = try await store.createApplication(practiceID: practice, releaseID: release.releaseID, pathway: .rptPaired,
                                                                    termYears: 4, actor: WorkflowActor(id: admin, role: .practiceAdmin))
                try await store.fire(.submit, application: application, actor: WorkflowActor(id: admin, role: .practiceAdmin), expectedVersion: 1)
                let second = try await store.history(of: application)[1]
                return (application, second.id)
            }
            let intact = try await ApexProcess.run(["audit", "verify", "--database-url", Self.url(database.settings)])
            #expect(intact.status == 0, "\(intact.output)")
            #expect(intact.output.contains("2 event(s) in 1 chain(s) checked: intact."))

            try await Database.withClient(database.settings, logger: TestCluster.logger) { client in
                try await client.withConnection { connection in
                    _ = try await connection.query("SET session_replication_role = replica", logger: TestCluster.logger)
                    _ = try await connection.query("UPDATE history_events SET to_state = 'accredited' WHERE id = \(ids.1)", logger: TestCluster.logger)
                }
            }
            let broken = try await ApexProcess.run(["audit", "verify", "--application", ids.0.uuidString, "--database-url", Self.url(database.settings)])
            #expect(broken.status != 0)
            #expect(broken.output.contains("BROKEN application \(ids.0): event \(ids.1) (#2) does not match its hash: the row was changed"))
            let badID = try await ApexProcess.run(["audit", "verify", "--application", "nope"])
            #expect(badID.status != 0 && badID.output.contains("--application must be an application id"))
        }
    }
}
