public import Logging
public import PostgresNIO
import Crypto
public import Foundation

/// One numbered SQL file from the migrations folder.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    public var checksum: String { Encoding.sha256Hex(Data(sql.utf8)) }
    public var fileName: String { String(format: "%04d_", version) + name + ".sql" }
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case badFileName(String)
    case duplicateVersion(Int, [String])
    case changedAfterApply(version: Int, file: String)
    case unknownApplied(version: Int, name: String)
    case failed(file: String, reason: String)

    public var description: String {
        switch self {
        case let .badFileName(name):
            return "Migration file \(name) is not named NNNN_description.sql."
        case let .duplicateVersion(version, files):
            return "Migration number \(version) is used by more than one file: \(files.joined(separator: ", "))."
        case let .changedAfterApply(version, file):
            return "Migration \(file) (number \(version)) was changed after it was applied to this database. "
                + "Applied migrations must never change: restore the file and add a new migration for the change."
        case let .unknownApplied(version, name):
            return "The database has migration \(version) (\(name)) applied, which this build of apex does not know. "
                + "It was migrated by a newer apex; run that version instead."
        case let .failed(file, reason):
            return "Migration \(file) failed and was rolled back: \(reason)"
        }
    }
}

public struct MigrationStatus: Sendable, Equatable {
    public enum State: String, Sendable { case applied, pending }
    public let migration: Migration
    public let state: State
    public let appliedAt: Date?
}

/// Applies the numbered SQL files in order, each in its own transaction, holding a PostgreSQL advisory
/// lock so replicas starting together take turns; records each with a SHA-256 checksum of its text.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    /// Arbitrary constant shared by every apex process ("apex" in ASCII): the advisory lock's key.
    static let lockKey: Int64 = 0x61_70_65_78

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    /// The migrations shipped with this build.
    public static func bundled() throws -> Migrator {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw MigrationError.badFileName("(the Migrations resource folder is missing from the build)")
        }
        return try Migrator(folder: folder)
    }

    public init(folder: URL) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }
        var parsed: [Migration] = []
        for file in files {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"),
                  let version = Int(stem[..<underscore]), version > 0,
                  !stem[stem.index(after: underscore)...].isEmpty else {
                throw MigrationError.badFileName(file)
            }
            let sql = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            parsed.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        let byVersion = Dictionary(grouping: parsed, by: \.version)
        if let (version, clash) = byVersion.first(where: { $0.value.count > 1 }) {
            throw MigrationError.duplicateVersion(version, clash.map(\.fileName).sorted())
        }
        self.init(migrations: parsed.sorted { $0.version < $1.version })
    }

    /// Applies what is pending and returns the migrations applied by this call.
    @discardableResult
    public func apply(on client: PostgresClient, logger: Logger) async throws -> [Migration] {
        try await client.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger).collect()
            do {
                let applied = try await migrate(connection, logger: logger)
                _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger).collect()
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger).collect()
                throw error
            }
        }
    }

    public func status(on client: PostgresClient, logger: Logger) async throws -> [MigrationStatus] {
        try await client.withConnection { connection in
            // Read-only: the service role may read the record but not create it.
            let applied = try await appliedRows(connection, logger: logger)
            try verify(applied)
            return migrations.map { migration in
                let row = applied[migration.version]
                return MigrationStatus(migration: migration, state: row == nil ? .pending : .applied, appliedAt: row?.appliedAt)
            }
        }
    }

    /// True when every bundled migration is applied, unchanged. Used by `/health/ready`.
    public func isCurrent(on client: PostgresClient, logger: Logger) async throws -> Bool {
        try await status(on: client, logger: logger).allSatisfy { $0.state == .applied }
    }

    // MARK: -

    private struct AppliedRow {
        let name: String
        let checksum: String
        let appliedAt: Date
    }

    private func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> [Migration] {
        try await ensureTable(connection, logger: logger)
        let applied = try await appliedRows(connection, logger: logger)
        try verify(applied)
        // postgres-nio speaks only the extended protocol (one statement per message); a throw-away
        // PL/pgSQL function runs a whole file, as EXECUTE accepts several statements.
        _ = try await connection.query("""
            CREATE OR REPLACE FUNCTION pg_temp.apex_run_migration(body text) RETURNS void
            LANGUAGE plpgsql AS $fn$ BEGIN EXECUTE body; END $fn$
            """, logger: logger).collect()
        var done: [Migration] = []
        for migration in migrations where applied[migration.version] == nil {
            logger.info("Applying migration", metadata: ["migration": "\(migration.fileName)"])
            do {
                _ = try await connection.query("BEGIN", logger: logger).collect()
                _ = try await connection.query("SELECT pg_temp.apex_run_migration(\(migration.sql))", logger: logger).collect()
                _ = try await connection.query("""
                    INSERT INTO schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """, logger: logger).collect()
                _ = try await connection.query("COMMIT", logger: logger).collect()
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger).collect()
                throw MigrationError.failed(file: migration.fileName, reason: Database.describe(error))
            }
            done.append(migration)
        }
        return done
    }

    private func verify(_ applied: [Int: AppliedRow]) throws {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, row) in applied.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                throw MigrationError.unknownApplied(version: version, name: row.name)
            }
            guard migration.checksum == row.checksum else {
                throw MigrationError.changedAfterApply(version: version, file: migration.fileName)
            }
        }
    }

    private func ensureTable(_ connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger).collect()
    }

    private func appliedRows(_ connection: PostgresConnection, logger: Logger) async throws -> [Int: AppliedRow] {
        var exists = false
        for try await found in try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger).decode(Bool.self) {
            exists = found
        }
        guard exists else { return [:] }
        let rows = try await connection.query("SELECT version, name, checksum, applied_at FROM schema_migrations", logger: logger)
        var result: [Int: AppliedRow] = [:]
        for try await (version, name, checksum, appliedAt) in rows.decode((Int, String, String, Date).self) {
            result[version] = AppliedRow(name: name, checksum: checksum, appliedAt: appliedAt)
        }
        return result
    }
}
