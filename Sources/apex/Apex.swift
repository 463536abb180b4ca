import ArgumentParser
import Foundation
import Logging
import Persistence
import Server

@main
struct Apex: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apex",
        abstract: "Accreditation workflow service for radiopharmaceutical therapy (RPT) programmes.",
        subcommands: [Serve.self, Migrate.self, Standards.self, WorkflowCommand.self, Audit.self, Accounts.self]
    )
}

/// Options shared by every command that needs a database. Each one names its environment variable;
/// the values are resolved in `ServeConfiguration.resolve`, not here.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL, postgres://user:password@host:5432/db (env: DATABASE_URL). Without it apex runs its own PostgreSQL in the data folder.")
    var databaseURL: String?

    @Option(name: .customLong("data-dir"), help: "Folder for the embedded PostgreSQL and stored files (env: APEX_DATA_DIR, default: ./.apex).")
    var dataFolder: String?

    @Option(name: .customLong("pg-bin"), help: "Folder holding initdb, pg_ctl and postgres (env: APEX_PG_BIN, default: searched in /usr/lib/postgresql/*/bin and PATH).")
    var postgresBinaries: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env: APEX_LOG_LEVEL, default: info).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text or json (env: APEX_LOG_FORMAT, default: text).")
    var logFormat: String?

    var flags: ServeConfiguration.Flags {
        var flags = ServeConfiguration.Flags()
        flags.databaseURL = databaseURL
        flags.dataFolder = dataFolder
        flags.postgresBinaries = postgresBinaries
        flags.logLevel = logLevel
        flags.logFormat = logFormat
        return flags
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP service (migrates the database first).",
        discussion: "With no configuration it runs on an embedded PostgreSQL in ./.apex, listening on http://127.0.0.1:8080."
    )

    @Option(name: .long, help: "Address to listen on (env: APEX_HOST, default: 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on; 0 picks a free one (env: APEX_PORT, default: 8080).")
    var port: Int?

    @Option(name: .customLong("workflow-settings"), help: "YAML file of programme timings: self_assessment_window_days, appeal_window_days, corrective_action_days, rfi_response_days, expiry_reminder_days, level_two_threshold (env: APEX_WORKFLOW_SETTINGS, default: built-in).")
    var workflowSettings: String?

    @Option(name: .customLong("standards-dir"), help: "Folder of catalog releases published at start (env: APEX_STANDARDS_DIR, default: ./Standards).")
    var standardsFolder: String?

    @Option(name: .customLong("evidence-dir"), help: "Folder for evidence files (env: APEX_EVIDENCE_DIR, default: evidence inside the data folder).")
    var evidenceFolder: String?

    @Option(name: .customLong("max-upload-bytes"), help: "Largest evidence upload accepted, in bytes (env: APEX_MAX_UPLOAD_BYTES, default: 104857600, 100 MiB).")
    var maxUploadBytes: String?

    @Option(name: .customLong("request-deadline"), help: "Seconds a request (other than an upload) may take before it is cancelled and answered 503, 1 to 3600 (env: APEX_REQUEST_DEADLINE, default: 30).")
    var requestDeadline: String?

    @Option(name: .customLong("shutdown-grace"), help: "Seconds in-flight requests may finish after SIGINT/SIGTERM before they are cancelled, 1 to 3600 (env: APEX_SHUTDOWN_GRACE, default: 15).")
    var shutdownGrace: String?

    @Option(name: .customLong("public-origin"), help: "Origin people reach the portal at, e.g. https://apex.example.org behind a proxy; https makes the session cookie Secure (env: APEX_PUBLIC_ORIGIN, default: the request's Host over http).")
    var publicOrigin: String?

    @Flag(name: .long, help: "Seed a demonstration (staff, two practices, surveyors, applications in several states) on first start and print the sign-ins.")
    var demo = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        var flags = database.flags
        flags.host = host
        flags.port = port
        flags.standardsFolder = standardsFolder
        flags.workflowSettings = workflowSettings
        flags.evidenceFolder = evidenceFolder
        flags.maxUploadBytes = maxUploadBytes
        flags.requestDeadline = requestDeadline
        flags.shutdownGrace = shutdownGrace
        flags.publicOrigin = publicOrigin
        var configuration = try CLI.resolve(flags)
        configuration.demo = demo
        let logger = CLI.logger(configuration)
        try await CLI.reportingFailure(logger) {
            try await ApexServer.run(configuration: configuration, logger: logger)
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations, or list them with --status.")

    @Flag(name: .long, help: "List applied and pending migrations without applying anything.")
    var status = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let configuration = try CLI.resolve(database.flags)
        let logger = CLI.logger(configuration)
        try await CLI.reportingFailure(logger) {
            let migrator = try Migrator.bundled()
            try await ApexServer.withDatabase(configuration, logger: logger) { settings, _ in
                try await Database.withClient(settings, logger: logger) { client in
                    if status {
                        for entry in try await migrator.status(on: client, logger: logger) {
                            let when = entry.appliedAt.map { $0.formatted(.iso8601) } ?? "-"
                            print("\(entry.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(entry.migration.fileName)  \(when)")
                        }
                    } else {
                        let applied = try await migrator.apply(on: client, logger: logger)
                        print(applied.isEmpty ? "Nothing to apply: the database is current." : "Applied \(applied.count) migration(s): " + applied.map(\.fileName).joined(separator: ", "))
                    }
                }
            }
        }
    }
}

enum CLI {
    static func resolve(_ flags: ServeConfiguration.Flags) throws -> ServeConfiguration {
        do {
            return try ServeConfiguration.resolve(flags: flags, environment: ProcessInfo.processInfo.environment)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }

    static func logger(_ configuration: ServeConfiguration) -> Logger {
        LoggingSetup.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
        return Logger(label: "apex")
    }

    /// Prints a one-line reason and exits non-zero, instead of a Swift error dump.
    static func reportingFailure(_ logger: Logger, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ValidationError {
            throw error
        } catch {
            let message = String(describing: error)
            FileHandle.standardError.write(Data("apex: \(message)\n".utf8))
            throw ExitCode.failure
        }
    }
}
