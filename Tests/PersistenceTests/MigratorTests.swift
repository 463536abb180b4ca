import Foundation
import Logging
import Persistence
import PostgresNIO
import TestSupport
import Testing

@Suite struct MigratorTests {
    let logger = TestCluster.logger

    /// A migrations folder written for one test.
    static func folder(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("apex-migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, sql) in files {
            try sql.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return url
    }

    static let twoFiles = [
        "0001_people.sql": "CREATE TABLE people (id int PRIMARY KEY);\nINSERT INTO people VALUES (1);",
        "0002_things.sql": "CREATE TABLE things (id int PRIMARY KEY, owner int REFERENCES people);",
    ]

    static func tables(_ client: PostgresClient) async throws -> [String] {
        let rows = try await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", logger: TestCluster.logger)
        var names: [String] = []
        for try await name in rows.decode(String.self) { names.append(name) }
        return names
    }

    @Test func appliesInOrderOnceAndRecordsChecksums() async throws {
        let migrator = try Migrator(folder: Self.folder(Self.twoFiles))
        #expect(migrator.migrations.map(\.version) == [1, 2])
        try await TestDatabase.withClient(migrated: false) { client, _ async throws in
            let first = try await migrator.apply(on: client, logger: logger)
            #expect(first.map(\.fileName) == ["0001_people.sql", "0002_things.sql"])
            let second = try await migrator.apply(on: client, logger: logger)
            #expect(second.isEmpty)
            #expect(try await Self.tables(client) == ["people", "schema_migrations", "things"])
            let rows = try await client.query("SELECT checksum FROM schema_migrations ORDER BY version", logger: logger)
            var checksums: [String] = []
            for try await checksum in rows.decode(String.self) { checksums.append(checksum) }
            #expect(checksums == migrator.migrations.map(\.checksum))
            #expect(try await migrator.isCurrent(on: client, logger: logger))
        }
    }

    @Test func statusListsAppliedAndPending() async throws {
        let one = try Migrator(folder: Self.folder(["0001_people.sql": Self.twoFiles["0001_people.sql"]!]))
        let both = try Migrator(folder: Self.folder(Self.twoFiles))
        try await TestDatabase.withClient(migrated: false) { client, _ async throws in
            try await one.apply(on: client, logger: logger)
            let status = try await both.status(on: client, logger: logger)
            #expect(status.map(\.state) == [.applied, .pending])
            #expect(status[0].appliedAt != nil && status[1].appliedAt == nil)
            #expect(try await both.isCurrent(on: client, logger: logger) == false)
        }
    }

    @Test func refusesAChangedMigration() async throws {
        let original = try Migrator(folder: Self.folder(Self.twoFiles))
        var changedFiles = Self.twoFiles
        changedFiles["0001_people.sql"] = "CREATE TABLE people (id bigint PRIMARY KEY);"
        let changed = try Migrator(folder: Self.folder(changedFiles))
        try await TestDatabase.withClient(migrated: false) { client, _ async throws in
            try await original.apply(on: client, logger: logger)
            await #expect(throws: MigrationError.changedAfterApply(version: 1, file: "0001_people.sql")) {
                try await changed.apply(on: client, logger: logger)
            }
            await #expect(throws: MigrationError.changedAfterApply(version: 1, file: "0001_people.sql")) {
                try await changed.status(on: client, logger: logger)
            }
        }
    }

    @Test func refusesADatabaseMigratedByANewerBuild() async throws {
        let newer = try Migrator(folder: Self.folder(Self.twoFiles))
        let older = try Migrator(folder: Self.folder(["0001_people.sql": Self.twoFiles["0001_people.sql"]!]))
        try await TestDatabase.withClient(migrated: false) { client, _ async throws in
            try await newer.apply(on: client, logger: logger)
            await #expect(throws: MigrationError.unknownApplied(version: 2, name: "things")) {
                try await older.apply(on: client, logger: logger)
            }
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        let migrator = try Migrator(folder: Self.folder([
            "0001_people.sql": Self.twoFiles["0001_people.sql"]!,
            "0002_broken.sql": "CREATE TABLE half (id int);\nTHIS IS NOT SQL;",
        ]))
        try await TestDatabase.withClient(migrated: false) { client, _ async throws in
            await #expect {
                try await migrator.apply(on: client, logger: logger)
            } throws: { error in
                String(describing: error).hasPrefix("Migration 0002_broken.sql failed and was rolled back: syntax error")
            }
            // The first migration stays (its own transaction); the broken one left no table and no record.
            #expect(try await Self.tables(client) == ["people", "schema_migrations"])
            let status = try await migrator.status(on: client, logger: logger)
            #expect(status.map(\.state) == [.applied, .pending])
        }
    }

    @Test func concurrentReplicasMigrateOnce() async throws {
        let migrator = try Migrator(folder: Self.folder(Self.twoFiles))
        try await TestDatabase.with(migrated: false) { database in
            let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await Database.withClient(database.settings, logger: TestCluster.logger) { client in
                            try await migrator.apply(on: client, logger: TestCluster.logger).count
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(applied.sorted() == [0, 0, 0, 2])
        }
    }

    @Test(arguments: ["people.sql", "01x_people.sql", "0001_.sql", "0000_zero.sql"])
    func rejectsBadFileNames(name: String) throws {
        let folder = try Self.folder([name: "SELECT 1;"])
        #expect(throws: MigrationError.badFileName(name)) { try Migrator(folder: folder) }
    }

    @Test func rejectsDuplicateNumbers() throws {
        let folder = try Self.folder(["0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 2;"])
        #expect(throws: MigrationError.duplicateVersion(1, ["0001_a.sql", "0001_b.sql"])) { try Migrator(folder: folder) }
    }

    @Test func bundledMigrationsAreNumberedFromOneWithoutGaps() throws {
        let versions = try Migrator.bundled().migrations.map(\.version)
        #expect(versions == Array(1...versions.count))
    }
}
