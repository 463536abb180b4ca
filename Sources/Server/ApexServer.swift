public import Hummingbird
public import Logging
public import Persistence
public import PostgresNIO
import APIDefinition
import EmbeddedPostgres
import OpenAPIHummingbird
import ServiceLifecycle
import UseCases
public import AccreditationCore
import Foundation
import StandardsCatalog
import NIOCore

public enum ServerStartError: Error, CustomStringConvertible {
    case portInUse(host: String, port: Int)
    case cannotListen(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case let .portInUse(host, port):
            return "Cannot listen on \(host):\(port): the port is already in use. Stop the other program or choose another --port / APEX_PORT."
        case let .cannotListen(host, port, reason):
            return "Cannot listen on \(host):\(port): \(reason)."
        }
    }
}

public enum ApexServer {
    /// The router and its services; tests build this with a test database and drive it over real HTTP.
    public static func buildApplication(
        configuration: ServeConfiguration,
        client: PostgresClient,
        migrator: Migrator,
        logger: Logger,
        clock: any WorkflowClock = SystemClock(),
        runsClient: Bool = true
    ) async throws -> some ApplicationProtocol {
        let renderer = try await PageRenderer.bundled()
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: LogRequestsMiddleware(.info))
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: HTMLNotFoundMiddleware(renderer: renderer))
        router.add(middleware: DeadlineMiddleware(limit: configuration.requestDeadline))
        router.add(middleware: BodyLimitMiddleware(limit: configuration.jsonBodyLimit))
        router.add(middleware: NulCharacterMiddleware())
        router.add(middleware: IntegerQueryMiddleware(
            names: try IntegerQueryMiddleware<AppRequestContext>.integerQueryParameters(inOpenAPI: String(decoding: APIDocument.yaml(), as: UTF8.self))))
        let accounts = AccountStore(client: client, logger: logger, clock: clock, settings: configuration.accounts)
        let sessions = SessionCache(accounts: accounts, lifetime: configuration.sessionCacheSeconds)
        let cookies = WebSessionSettings(publicOrigin: configuration.publicOrigin)
        router.add(middleware: AuthMiddleware(sessions: sessions, cookies: cookies))
        let applicationCache = ApplicationCache(heartbeat: configuration.listenerHeartbeat)
        HealthController(client: client, migrator: migrator, cache: applicationCache).addRoutes(to: router.group("health"))
        try OpenAPIDocumentController().addRoutes(to: router)
        let workflow = WorkflowStore(client: client, logger: logger, clock: clock, settings: configuration.workflow)
        let storage = try FileSystemEvidenceStorage(root: configuration.evidenceRoot)
        router.add(middleware: ApplicationWriteMiddleware(cache: applicationCache))
        router.add(middleware: CachedApplicationReadMiddleware(cache: applicationCache))
        let api = APIHandler(catalog: CatalogStore(client: client, logger: logger), accounts: accounts, sessions: sessions,
                             applicationCache: applicationCache, workflow: workflow,
                             idempotency: IdempotencyStore(client: client, logger: logger, clock: clock), storage: storage,
                             maxUploadBytes: configuration.maxUploadBytes, logger: logger, failureDelay: configuration.loginFailureDelay)
        try api.registerHandlers(on: router, serverURL: URL(string: "/api/v1")!, configuration: APIHandler.configuration,
                                 middlewares: [ETagHeaderMiddleware()])

        // The portal: pages under /, with the session cookie, same-origin checks and HTML error pages.
        let pages = router.group()
            .add(middleware: SecurityHeadersMiddleware())
            .add(middleware: ErrorPageMiddleware(renderer: renderer))
            .add(middleware: WebIdentityMiddleware(sessions: sessions, settings: cookies))
            .add(middleware: SameOriginMiddleware(settings: cookies))
        WebController(workspace: Workspace(workflow: workflow), directory: PracticeDirectory(workflow: workflow, accounts: accounts),
                      uploads: EvidenceUploads(workspace: Workspace(workflow: workflow), storage: storage, maxBytes: configuration.maxUploadBytes),
                      cache: applicationCache, accounts: accounts, sessions: sessions,
                      catalog: CatalogStore(client: client, logger: logger), settings: cookies, renderer: renderer,
                      maxUploadBytes: Int(configuration.maxUploadBytes), failureDelay: configuration.loginFailureDelay, logger: logger)
            .addRoutes(to: pages)
        router.group("assets").add(middleware: SecurityHeadersMiddleware()).get(":name") { _, context in
            guard let name = context.parameters.get("name"), let response = renderer.asset(name) else { throw HTTPError(.notFound) }
            return response
        }

        // `apex serve` runs the pool itself, outside the application, so it outlives the scheduler too.
        let listener = ApplicationChangeListener(client: client, cache: applicationCache, logger: logger)
        let services: [any Service] = runsClient ? [client, listener] : [listener]
        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ParserErrorProblemHandler(), ExpectContinueHandler()])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "apex"),
            services: services,
            onServerRunning: { channel in
                let address = channel.localAddress.map { "\($0.ipAddress ?? configuration.host):\($0.port ?? configuration.port)" }
                logger.info("apex is listening", metadata: ["address": "http://\(address ?? "\(configuration.host):\(configuration.port)")"])
            },
            logger: logger
        )
    }

    /// `apex serve`: start (or reach) PostgreSQL, migrate, serve until SIGINT/SIGTERM, then stop
    /// everything it started, also when start-up fails half-way.
    public static func run(configuration: ServeConfiguration, logger: Logger) async throws {
        try await withDatabase(configuration, logger: logger) { settings, embedded in
            try await serve(configuration: configuration, settings: settings, embedded: embedded, logger: logger)
        }
    }

    /// Reaches the configured database, or starts the embedded one (creating its database on first use),
    /// runs `body`, and stops the embedded server afterwards whether `body` succeeded or not.
    public static func withDatabase<T>(
        _ configuration: ServeConfiguration, logger: Logger,
        _ body: (DatabaseSettings, _ embedded: Bool) async throws -> T
    ) async throws -> T {
        if let external = configuration.database {
            try await Database.probe(external, logger: logger)
            return try await body(external, false)
        }
        let options = EmbeddedPostgres.Options(dataFolder: configuration.dataFolder, binariesFolder: configuration.postgresBinaries)
        let server = try EmbeddedPostgres.start(options, logger: logger)
        let settings = DatabaseSettings(endpoint: .unixSocket(path: server.socketPath), username: server.superuser, database: "apex")
        do {
            try await Database.createIfMissing(settings, logger: logger)
            try await Database.probe(settings, logger: logger)
            let result = try await body(settings, true)
            server.stop()
            return result
        } catch {
            server.stop()
            throw error
        }
    }

    /// A reachable, migrated database with a catalog store, for CLI commands that read or publish releases.
    public static func withMigratedDatabase<T: Sendable>(
        _ configuration: ServeConfiguration, logger: Logger,
        _ body: @Sendable (CatalogStore, PostgresClient) async throws -> T
    ) async throws -> T {
        let migrator = try Migrator.bundled()
        return try await withDatabase(configuration, logger: logger) { settings, _ in
            try await Database.withClient(settings, logger: logger) { client in
                try await migrator.apply(on: client, logger: logger)
                return try await body(CatalogStore(client: client, logger: logger), client)
            }
        }
    }

    /// Publishes every non-draft release under the standards folder (idempotent); a missing folder is
    /// only logged, an invalid catalog stops the start.
    static func publishStandards(from folder: String, store: CatalogStore, logger: Logger) async throws {
        guard FileManager.default.fileExists(atPath: folder) else {
            logger.warning("No standards folder; nothing published", metadata: ["folder": "\(folder)"])
            return
        }
        for releaseFolder in try CatalogLoader.releaseFolders(under: folder) {
            let release = try CatalogLoader.load(folder: releaseFolder)
            guard release.status != .draft else {
                logger.info("Skipping draft catalog release", metadata: ["release": "\(release.releaseID)"])
                continue
            }
            let outcome = try await store.publish(release)
            logger.info("Catalog release", metadata: ["release": "\(release.releaseID)", "outcome": "\(outcome.rawValue)"])
        }
    }

    private static func serve(configuration: ServeConfiguration, settings: DatabaseSettings, embedded: Bool, logger: Logger) async throws {
        logger.info("Using database", metadata: ["database": "\(settings.redacted)", "embedded": "\(embedded)"])

        let migrator = try Migrator.bundled()
        try await Database.withClient(settings, logger: logger) { client in
            let applied = try await migrator.apply(on: client, logger: logger)
            logger.info("Migrations are current", metadata: ["applied_now": "\(applied.count)", "known": "\(migrator.migrations.count)"])
            try await publishStandards(from: configuration.standardsFolder, store: CatalogStore(client: client, logger: logger), logger: logger)
            if configuration.demo {
                let seeder = DemoData(workflow: WorkflowStore(client: client, logger: logger, settings: configuration.workflow),
                                      accounts: AccountStore(client: client, logger: logger, settings: configuration.accounts),
                                      storage: try FileSystemEvidenceStorage(root: configuration.evidenceRoot), logger: logger)
                var seeded = try await seeder.isSeeded()
                if !seeded { seeded = try await seeder.seedOnce() }
                if seeded {
                    DemoData.printLogins(host: configuration.host, port: configuration.port)
                }
            }
        }

        // The service works as `apex_service`, which may only append to the history.
        let client = PostgresClient(configuration: settings.asService.clientConfiguration, backgroundLogger: logger)
        let app = try await buildApplication(configuration: configuration, client: client, migrator: migrator, logger: logger, runsClient: false)
        // Services stop in reverse order: the scheduler first (no timer starts during shutdown), then the
        // HTTP server drains and the listener stops, then the pool, which everything before it uses.
        // Shutdown is bounded: requests still running after the grace period are cancelled, and a
        // process that cannot cancel stops anyway.
        var services: [any Service] = [client, app]
        if let interval = configuration.timerInterval {
            services.append(TimerService(store: WorkflowStore(client: client, logger: logger, settings: configuration.workflow),
                                         storage: try FileSystemEvidenceStorage(root: configuration.evidenceRoot), interval: interval, logger: logger))
        }
        var group = ServiceGroupConfiguration(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownGrace
        group.maximumCancellationDuration = configuration.shutdownCancellationLimit
        do {
            try await ServiceGroup(configuration: group).run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ServerStartError.portInUse(host: configuration.host, port: configuration.port)
        } catch let error as IOError {
            throw ServerStartError.cannotListen(host: configuration.host, port: configuration.port, reason: "\(error)")
        }
        logger.info("apex stopped accepting requests and closed its database pool")
    }
}
