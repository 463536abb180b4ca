public import Logging
public import PostgresNIO
import Foundation
import NIOSSL

/// The service could not reach or log in to its database.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public let location: String
    public let reason: String
    public var description: String { "Cannot connect to the database at \(location): \(reason)." }
}

public enum Database {
    /// Opens one connection, runs `SELECT 1` and closes it; a clear error names the host and the reason.
    /// Used at start-up so a wrong DATABASE_URL fails fast instead of a pool retrying quietly.
    public static func probe(_ settings: DatabaseSettings, logger: Logger, timeout: Duration = .seconds(5)) async throws {
        var configuration: PostgresConnection.Configuration
        switch settings.endpoint {
        case let .tcp(host, port):
            let tls: PostgresConnection.Configuration.TLS = switch settings.tls {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            configuration = .init(host: host, port: port, username: settings.username, password: settings.password, database: settings.database, tls: tls)
        case let .unixSocket(path):
            configuration = .init(unixSocketPath: path, username: settings.username, password: settings.password, database: settings.database)
        }
        configuration.options.connectTimeout = TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            defer { Task { try? await connection.close() } }
            _ = try await connection.query("SELECT 1", logger: logger).collect()
        } catch {
            throw DatabaseUnavailable(location: settings.location, reason: describe(error))
        }
    }

    /// Runs `body` with a connection pool that lives exactly as long as the call.
    public static func withClient<Result: Sendable>(
        _ settings: DatabaseSettings, logger: Logger,
        _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        // A scoped pool is used the moment it exists, which postgres-nio warns about before `run()` has
        // been scheduled; its background chatter is kept to errors.
        var backgroundLogger = logger
        backgroundLogger.logLevel = .error
        let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: backgroundLogger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// Creates the database named in `settings` when it does not exist yet (embedded server only:
    /// apex owns that cluster). Connects to the `postgres` maintenance database to do it.
    public static func createIfMissing(_ settings: DatabaseSettings, logger: Logger) async throws {
        let name = settings.database
        try await withClient(settings.with(database: "postgres"), logger: logger) { client in
            let rows = try await client.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
            var exists = false
            for try await _ in rows { exists = true }
            if !exists {
                _ = try await client.query("CREATE DATABASE \(unescaped: quoteIdentifier(name))", logger: logger)
                logger.info("Created database", metadata: ["database": "\(name)"])
            }
        }
    }

    /// `"name"` with embedded quotes doubled, for identifiers that cannot be bound as parameters.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A readable reason for a postgres-nio error (its own description deliberately hides details).
    public static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                let state = psql.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + state
            }
            if let underlying = psql.underlying {
                return String(describing: underlying)
            }
            return "\(psql.code)"
        }
        return String(describing: error)
    }
}

extension PostgresClient {
    /// One transaction, like `withTransaction`, except that an error thrown inside comes out as itself,
    /// not wrapped: the transaction was rolled back, and callers report (or map) the cause.
    func transaction<Result: Sendable>(logger: Logger, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            if let cause = error.closureError, error.beginError == nil, error.rollbackError == nil { throw cause }
            throw error
        }
    }
}
