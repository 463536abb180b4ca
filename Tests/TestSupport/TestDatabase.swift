public import EmbeddedPostgres
public import Logging
public import Persistence
public import PostgresNIO
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One ephemeral PostgreSQL cluster per test run (started on first use, stopped at process exit), a
/// template database migrated once, and one `CREATE DATABASE … TEMPLATE …` clone per test, so tests
/// are isolated and run in parallel. A cluster that cannot start fails the tests; it never skips them.
public actor TestCluster {
    public static let shared = TestCluster()

    public static let templateName = "apex_template"
    public static let logger: Logger = {
        var logger = Logger(label: "apex.tests")
        logger.logLevel = ProcessInfo.processInfo.environment["APEX_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }()

    private var started: Task<DatabaseSettings, any Error>?

    /// Settings for the `postgres` maintenance database of the shared cluster (template migrated).
    public func adminSettings() async throws -> DatabaseSettings {
        if let started { return try await started.value }
        let task = Task { try await Self.boot() }
        started = task
        return try await task.value
    }

    private static func boot() async throws -> DatabaseSettings {
        let folder = try makeTemporaryFolder(prefix: "apex-tests")
        var options = EmbeddedPostgres.Options(dataFolder: folder + "/data")
        options.durable = false
        let server = try EmbeddedPostgres.start(options, logger: logger)
        ShutdownHook.register(server: server, folder: folder)
        let admin = DatabaseSettings(endpoint: .unixSocket(path: server.socketPath), username: server.superuser, database: "postgres")
        let template = admin.with(database: templateName)
        try await Database.createIfMissing(template, logger: logger)
        try await Database.withClient(template, logger: logger) { client in
            try await Migrator.bundled().apply(on: client, logger: logger)
        }
        return admin
    }

    /// A temporary folder that the unprivileged PostgreSQL account can also enter.
    public static func makeTemporaryFolder(prefix: String) throws -> String {
        var template = Array((FileManager.default.temporaryDirectory.path + "/\(prefix).XXXXXX").utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let path = String(cString: created)
        chmod(path, 0o755)
        return path
    }
}

/// Stops the shared cluster and removes its folder when the test process exits.
enum ShutdownHook {
    nonisolated(unsafe) static var server: EmbeddedPostgres?
    nonisolated(unsafe) static var folder: String?

    static func register(server: EmbeddedPostgres, folder: String) {
        self.server = server
        self.folder = folder
        atexit {
            ShutdownHook.server?.stop()
            if let folder = ShutdownHook.folder { try? FileManager.default.removeItem(atPath: folder) }
        }
    }
}

/// A fresh database for one test.
public struct TestDatabase: Sendable {
    public let settings: DatabaseSettings

    /// Runs `body` against a clone of the migrated template (or an empty database with `migrated: false`),
    /// dropping it afterwards.
    public static func with<T: Sendable>(
        migrated: Bool = true,
        _ body: @Sendable (TestDatabase) async throws -> T
    ) async throws -> T {
        let admin = try await TestCluster.shared.adminSettings()
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let source = migrated ? TestCluster.templateName : "template0"
        try await Database.withClient(admin, logger: TestCluster.logger) { client in
            _ = try await client.query("CREATE DATABASE \(unescaped: name) TEMPLATE \(unescaped: source)", logger: TestCluster.logger)
        }
        let database = TestDatabase(settings: admin.with(database: name))
        do {
            let result = try await body(database)
            try await drop(name, admin: admin)
            return result
        } catch {
            try? await drop(name, admin: admin)
            throw error
        }
    }

    /// Convenience: a running pool on a fresh database.
    public static func withClient<T: Sendable>(
        migrated: Bool = true,
        _ body: @Sendable (PostgresClient, TestDatabase) async throws -> T
    ) async throws -> T {
        try await with(migrated: migrated) { database in
            try await Database.withClient(database.settings, logger: TestCluster.logger) { client in
                try await body(client, database)
            }
        }
    }

    private static func drop(_ name: String, admin: DatabaseSettings) async throws {
        try await Database.withClient(admin, logger: TestCluster.logger) { client in
            _ = try await client.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: TestCluster.logger)
        }
    }
}
