import AccreditationCore
import Foundation
import Persistence
@testable import Server
import TestSupport
import Testing
import UseCases

@Suite struct ZZTimingProbe {
    @Test func probe() async throws {
        let evidence = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID())").path
        try await TestDatabase.withClient { client, _ in
            let logger = TestCluster.logger
            _ = try await CatalogStore(client: client, logger: logger).publish(TestApp.rptRelease)
            var settings = AccountSettings(); settings.bcryptCost = 4
            let accounts = AccountStore(client: client, logger: logger, settings: settings)
            let store = WorkflowStore(client: client, logger: logger)
            _ = try await DemoData(workflow: store, accounts: accounts, storage: try FileSystemEvidenceStorage(root: evidence), logger: logger).seedOnce()
            let person = try await accounts.login(email: "rso@mesa.example", password: DemoData.password, address: "x").identity
            let workspace = Workspace(workflow: store)
            let app = try await workspace.home(for: person).first { $0.state == .selfAssessment }!.application.summary.id
            let renderer = try await PageRenderer.bundled()
            var (tRead, tBuild, tRender) = (Duration.zero, Duration.zero, Duration.zero)
            let clock = ContinuousClock()
            for _ in 0..<10 {
                var detail: ApplicationDetail?
                tRead += clock.measure { }
                let t0 = clock.now
                detail = try await workspace.application(app, as: person)
                let t1 = clock.now
                let page = PageBuilder.workspace(detail!, chrome: Chrome(identity: person, sessionToken: "t"), maxUploadBytes: 1000)
                let t2 = clock.now
                _ = try renderer.html("workspace", page)
                let t3 = clock.now
                tRead += t1 - t0; tBuild += t2 - t1; tRender += t3 - t2
            }
            print("PROBE read \(tRead / 10) build \(tBuild / 10) render \(tRender / 10)")
        }
    }
}
