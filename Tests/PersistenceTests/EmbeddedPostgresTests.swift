import EmbeddedPostgres
import Foundation
import Logging
import Persistence
import TestSupport
import Testing

@Suite struct EmbeddedPostgresTests {
    let logger = TestCluster.logger

    func options(_ folder: String) -> EmbeddedPostgres.Options {
        var options = EmbeddedPostgres.Options(dataFolder: folder)
        options.durable = false
        return options
    }

    @Test func missingProgramsSayWhatToInstall() throws {
        let empty = try TestCluster.makeTemporaryFolder(prefix: "apex-nobin")
        var options = options(try TestCluster.makeTemporaryFolder(prefix: "apex-data"))
        options.binariesFolder = empty
        #expect {
            try EmbeddedPostgres.start(options, logger: logger)
        } throws: { error in
            let message = String(describing: error)
            return message.contains("apt-get install -y postgresql") && message.contains("DATABASE_URL") && message.contains(empty)
        }
    }

    @Test func refusesAFolderHoldingOtherFiles() throws {
        let folder = try TestCluster.makeTemporaryFolder(prefix: "apex-data")
        let precious = folder + "/thesis.txt"
        try "do not delete".write(toFile: precious, atomically: true, encoding: .utf8)
        #expect(throws: EmbeddedPostgresError.dataFolderNotACluster(path: folder)) {
            try EmbeddedPostgres.start(options(folder), logger: logger)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["thesis.txt"])
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "do not delete")
    }

    @Test func refusesAPostgresFolderThatIsNotACluster() throws {
        let folder = try TestCluster.makeTemporaryFolder(prefix: "apex-data")
        try FileManager.default.createDirectory(atPath: folder + "/postgres", withIntermediateDirectories: false)
        try "notes".write(toFile: folder + "/postgres/notes.txt", atomically: true, encoding: .utf8)
        #expect(throws: EmbeddedPostgresError.dataFolderNotACluster(path: folder)) {
            try EmbeddedPostgres.start(options(folder), logger: logger)
        }
        #expect(FileManager.default.fileExists(atPath: folder + "/postgres/notes.txt"))
    }

    @Test func refusesAFileInPlaceOfTheFolder() throws {
        let folder = try TestCluster.makeTemporaryFolder(prefix: "apex-data")
        let file = folder + "/plain-file"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: EmbeddedPostgresError.dataFolderNotUsable(path: file, reason: "it exists and is not a folder")) {
            try EmbeddedPostgres.start(options(file), logger: logger)
        }
    }

    @Test func reportsAFolderThatCannotBeCreated() throws {
        let folder = try TestCluster.makeTemporaryFolder(prefix: "apex-data")
        try "x".write(toFile: folder + "/file", atomically: true, encoding: .utf8)
        let impossible = folder + "/file/data"
        #expect {
            try EmbeddedPostgres.start(options(impossible), logger: logger)
        } throws: { error in
            let message = String(describing: error)
            return message.hasPrefix("The data folder \(impossible) cannot be used: it cannot be created") && message.contains("--data-dir")
        }
    }

    @Test func reportsAReadOnlyFolder() throws {
        // Root may write anywhere, so a read-only file system stands in for a read-only folder there.
        let folder: String
        if geteuid() == 0 {
            folder = "/proc/apex-data"
        } else {
            folder = try TestCluster.makeTemporaryFolder(prefix: "apex-data")
            chmod(folder, 0o555)
        }
        #expect {
            try EmbeddedPostgres.start(options(folder), logger: logger)
        } throws: { error in
            String(describing: error).hasPrefix("The data folder \(folder) cannot be used")
        }
    }

    @Test func secondStartReusesTheClusterAndItsData() async throws {
        let folder = try TestCluster.makeTemporaryFolder(prefix: "apex-data")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try EmbeddedPostgres.start(options(folder), logger: logger)
        let settings = DatabaseSettings(endpoint: .unixSocket(path: first.socketPath), username: first.superuser, database: "postgres")
        do {
            try await Database.withClient(settings, logger: logger) { client in
                _ = try await client.query("CREATE TABLE kept (note text)", logger: logger)
                _ = try await client.query("INSERT INTO kept VALUES ('survives a restart')", logger: logger)
            }
        } catch {
            first.stop()
            throw error
        }
        first.stop()
        #expect(!FileManager.default.fileExists(atPath: first.socketFolder))

        let second = try EmbeddedPostgres.start(options(folder), logger: logger)
        defer { second.stop() }
        let again = DatabaseSettings(endpoint: .unixSocket(path: second.socketPath), username: second.superuser, database: "postgres")
        let note = try await Database.withClient(again, logger: logger) { client in
            let rows = try await client.query("SELECT note FROM kept", logger: logger)
            var notes: [String] = []
            for try await note in rows.decode(String.self) { notes.append(note) }
            return notes
        }
        #expect(note == ["survives a restart"])
    }

    @Test func aSecondServerOnTheSameFolderIsRefused() async throws {
        let folder = try TestCluster.makeTemporaryFolder(prefix: "apex-data")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try EmbeddedPostgres.start(options(folder), logger: logger)
        defer { first.stop() }
        let path = URL(fileURLWithPath: folder).standardizedFileURL.path
        #expect(throws: EmbeddedPostgresError.dataFolderInUse(path: path)) {
            try EmbeddedPostgres.start(options(folder), logger: logger)
        }
        // The first server is untouched by the refused attempt.
        let settings = DatabaseSettings(endpoint: .unixSocket(path: first.socketPath), username: first.superuser, database: "postgres")
        try await Database.probe(settings, logger: logger)
    }

    @Test func anEmptyClusterFolderLeftByAFailedFirstStartIsReused() async throws {
        let folder = try TestCluster.makeTemporaryFolder(prefix: "apex-data")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/postgres", withIntermediateDirectories: false)
        if geteuid() == 0 { chown(folder + "/postgres", getpwnam("postgres").pointee.pw_uid, getpwnam("postgres").pointee.pw_gid) }
        let server = try EmbeddedPostgres.start(options(folder), logger: logger)
        server.stop()
        #expect(FileManager.default.fileExists(atPath: folder + "/postgres/PG_VERSION"))
    }
}
