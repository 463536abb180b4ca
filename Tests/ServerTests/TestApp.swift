import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
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
        signedIn: Bool = false,
        logger: Logger = TestCluster.logger,
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
            if signedIn {
                let accountSettings = configuration.accounts
                try await Database.withClient(database.settings.asService, logger: TestCluster.logger) { client in
                    let id = try await WorkflowStore(client: client, logger: TestCluster.logger)
                        .createPerson(email: SignedInClient.email, name: "Catalog Reader", role: .practiceContributor,
                                      practiceID: try await WorkflowStore(client: client, logger: TestCluster.logger).createPractice(
                                        PracticeRecord(legalName: "Reader Practice", address: "", licenceNumber: "R", regulator: "US-NRC",
                                                       scope: PracticeScope(agents: [])),
                                        facilities: [FacilityRecord(name: "Reader", address: "", isMain: true, distanceMiles: 0)]))
                    try await AccountStore(client: client, logger: TestCluster.logger, settings: accountSettings)
                        .setPassword(person: id, password: SignedInClient.password)
                }
            }
            if demo {
                let settings = configuration
                try await Database.withClient(database.settings.asService, logger: TestCluster.logger) { client in
                    try await DemoData(workflow: WorkflowStore(client: client, logger: TestCluster.logger),
                                       accounts: AccountStore(client: client, logger: TestCluster.logger, settings: settings.accounts),
                                       storage: try FileSystemEvidenceStorage(root: settings.evidenceRoot), logger: TestCluster.logger).seedOnce()
                }
            }
            let client = PostgresClient(configuration: database.settings.asService.clientConfiguration, backgroundLogger: TestCluster.logger)
            let app = try await ApexServer.buildApplication(
                configuration: configuration, client: client, migrator: try Migrator.bundled(), logger: logger, clock: clock
            )
            try await app.test(.live) { client in
                guard signedIn else { return try await body(client) }
                try await body(try await SignedInClient(client))
            }
        }
    }

    static let rptRelease: CatalogRelease = try! CatalogLoader.load(folder: standards + "/apex-rpt/2026.1")
}

extension TestResponse {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }
}

/// Sends a signed-in reader's token with every request that has none (for tests about something else
/// than authentication; the API denies anonymous requests by default).
struct SignedInClient: TestClientProtocol {
    static let email = "reader@example.org"
    static let password = "reader password 2026"
    let base: any TestClientProtocol
    let token: String

    init(_ base: any TestClientProtocol) async throws {
        self.base = base
        let response = try await base.execute(uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                                              body: ByteBuffer(string: "{\"email\": \"\(Self.email)\", \"password\": \"\(Self.password)\"}"))
        guard let token = response.json["token"] as? String else { throw CancellationError() }
        self.token = token
    }

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if headers[.authorization] == nil { headers[.authorization] = "Bearer \(token)" }
        return try await base.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }

    var port: Int? { base.port }
}

/// Keeps every log line in memory (message and all metadata, rendered), for tests of what reaches the log.
final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    /// A logger writing here, unredacted: what the service hands to its logger is what the test sees.
    var logger: Logger {
        Logger(label: "captured") { _ in Handler(log: self) }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            log.append("\(event.level) \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }
}
