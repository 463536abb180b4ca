import AccreditationCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Persistence
import PostgresNIO
@testable import Server
import StandardsCatalog
import TestSupport

/// The real application on a fresh test database, driven over real HTTP (`.live`).
enum TestApp {
    static let standards = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Standards").path

    static func run(
        publish releases: [CatalogRelease] = [],
        clock: any WorkflowClock = SystemClock(),
        configure: @Sendable (inout ServeConfiguration) -> Void = { _ in },
        seed: @Sendable (DatabaseSettings) async throws -> Void = { _ in },
        demo: Bool = false,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let evidence = FileManager.default.temporaryDirectory.appendingPathComponent("apex-test-evidence-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: evidence) }
        try await TestDatabase.with { database in
            var configuration = ServeConfiguration()
            configuration.port = 0
            configuration.timerInterval = nil
            configuration.accounts.bcryptCost = 4
            configuration.loginFailureDelay = .zero
            configuration.evidenceFolder = evidence
            configure(&configuration)
            if !releases.isEmpty {
                try await Database.withClient(database.settings, logger: TestCluster.logger) { client in
                    let store = CatalogStore(client: client, logger: TestCluster.logger)
                    for release in releases { _ = try await store.publish(release) }
                }
            }
            try await seed(database.settings.asService)
            if demo {
                let settings = configuration
                try await Database.withClient(database.settings.asService, logger: TestCluster.logger) { client in
                    try await DemoData(workflow: WorkflowStore(client: client, logger: TestCluster.logger),
                                       accounts: AccountStore(client: client, logger: TestCluster.logger, settings: settings.accounts),
                                       storage: try FileSystemEvidenceStorage(root: settings.evidenceRoot), logger: TestCluster.logger).seedOnce()
                }
            }
            let client = PostgresClient(configuration: database.settings.asService.clientConfiguration, backgroundLogger: TestCluster.logger)
            let app = try ApexServer.buildApplication(
                configuration: configuration, client: client, migrator: try Migrator.bundled(), logger: TestCluster.logger, clock: clock
            )
            try await app.test(.live, body)
        }
    }

    static let rptRelease: CatalogRelease = try! CatalogLoader.load(folder: standards + "/apex-rpt/2026.1")
}

extension TestResponse {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }
}
