import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Persistence
import TestSupport
import Testing

/// `apex` as an operator runs it: a separate process, real signals, real HTTP.
@Suite(.serialized) struct ApexCommandTests {
    func dataFolder() throws -> String {
        try TestCluster.makeTemporaryFolder(prefix: "apex-serve") + "/data"
    }

    func postgresIsRunning(in dataFolder: String) -> Bool {
        FileManager.default.fileExists(atPath: dataFolder + "/postgres/postmaster.pid")
    }

    @Test func serveOnEmbeddedPostgresStopsCleanlyAndReusesItsData() async throws {
        let folder = try dataFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let first = try ApexProcess(["serve", "--data-dir", folder, "--port", "0"])
        let port = try await first.waitForListeningPort()
        let ready = try await ApexProcess.get("http://127.0.0.1:\(port)/health/ready")
        #expect(ready.status == 200)
        #expect(first.output.contains("Creating a new PostgreSQL"))
        #expect(first.output.contains("database=postgres://apex@apex via socket"))
        first.interrupt()
        try await first.waitForExit(timeout: 30)
        #expect(first.process.terminationStatus == 0)
        #expect(!postgresIsRunning(in: folder), "SIGINT must stop the embedded PostgreSQL")

        let second = try ApexProcess(["serve", "--port", "0"], environment: ["APEX_DATA_DIR": folder])
        let secondPort = try await second.waitForListeningPort()
        #expect(try await ApexProcess.get("http://127.0.0.1:\(secondPort)/health/ready").status == 200)
        #expect(!second.output.contains("Creating a new PostgreSQL"), "a second start reuses the cluster")
        #expect(second.output.contains("applied_now=0"))
        kill(second.process.processIdentifier, SIGTERM)
        try await second.waitForExit(timeout: 30)
        #expect(second.process.terminationStatus == 0)
        #expect(!postgresIsRunning(in: folder))
    }

    @Test func demoSeedsOnceAndPrintsTheSignIns() async throws {
        let folder = try dataFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for start in 1...2 {
            let apex = try ApexProcess(["serve", "--demo", "--data-dir", folder, "--port", "0"])
            let port = try await apex.waitForListeningPort()
            #expect(apex.output.contains("Demonstration sign-ins (password for all: demo-password-2026)"))
            #expect(apex.output.contains("oncologist@surveyors.example"))
            #expect(apex.output.contains("Seeded the demonstration") == (start == 1), "start \(start) seeds only the first time")
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/auth/login")!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(#"{"email": "admin@mesa.example", "password": "demo-password-2026"}"#.utf8)
            let (data, response) = try await URLSession.shared.data(for: request)
            #expect((response as! HTTPURLResponse).statusCode == 200, "\(String(decoding: data, as: UTF8.self))")
            #expect(FileManager.default.fileExists(atPath: folder + "/evidence/sha256"), "demo evidence is stored in the data folder")
            if start == 2 { try await uploadWithExpectContinue(port: port, login: data) }
            apex.interrupt()
            try await apex.waitForExit(timeout: 30)
            #expect(apex.process.terminationStatus == 0)
        }
    }

    /// curl asks `Expect: 100-continue` before a large body; the server answers at once instead of
    /// leaving curl to wait its one-second timeout.
    func uploadWithExpectContinue(port: Int, login: Data) async throws {
        let token = try #require((try JSONSerialization.jsonObject(with: login) as? [String: Any])?["token"] as? String)
        var list = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/applications?state=self-assessment")!)
        list.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (listed, _) = try await URLSession.shared.data(for: list)
        let items = (try JSONSerialization.jsonObject(with: listed) as? [String: Any])?["items"] as? [[String: Any]]
        let application = try #require(items?.first?["id"] as? String)
        let file = try TestCluster.makeTemporaryFolder(prefix: "apex-upload") + "/big.pdf"
        try Data("%PDF-1.4\n".utf8 + [UInt8](repeating: 0x41, count: 3 << 20)).write(to: URL(fileURLWithPath: file))
        let url = "http://127.0.0.1:\(port)/api/v1/applications/\(application)/evidence?title=Big&kind=report&as_of=2026-09-30&indicators=GOV-01"
        // The admin of Mesa uploads, asking for 100-continue explicitly.
        let signIn = Data(#"{"email": "admin@mesa.example", "password": "demo-password-2026"}"#.utf8)
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/auth/login")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = signIn
        let (adminLogin, _) = try await URLSession.shared.data(for: request)
        let admin = try #require((try JSONSerialization.jsonObject(with: adminLogin) as? [String: Any])?["token"] as? String)
        let curl = try await ApexProcess.shell("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-H", "Expect: 100-continue",
                                                        "-H", "Authorization: Bearer \(admin)", "-H", "Content-Type: application/octet-stream",
                                                        "--data-binary", "@\(file)", url])
        let parts = curl.split(separator: " ")
        #expect(parts.first == "201", "\(curl)")
        #expect((Double(parts.last ?? "9") ?? 9) < 0.9, "the body went without waiting for curl's 1 s Expect timeout: \(curl)")
    }

    @Test func aServerLeftByAKilledApexIsStoppedOnTheNextStart() async throws {
        let folder = try dataFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let killed = try ApexProcess(["serve", "--data-dir", folder, "--port", "0"])
        _ = try await killed.waitForListeningPort()
        kill(killed.process.processIdentifier, SIGKILL)
        try await killed.waitForExit(timeout: 10)
        #expect(postgresIsRunning(in: folder), "SIGKILL cannot be caught, so its PostgreSQL is left running")

        let next = try ApexProcess(["serve", "--data-dir", folder, "--port", "0"])
        let port = try await next.waitForListeningPort()
        #expect(next.output.contains("Stopping a PostgreSQL server left running by an earlier apex"))
        #expect(try await ApexProcess.get("http://127.0.0.1:\(port)/health/ready").status == 200)
        next.interrupt()
        try await next.waitForExit(timeout: 30)
        #expect(!postgresIsRunning(in: folder))
    }

    @Test func portInUseFailsClearlyAndLeavesNoPostgresBehind() async throws {
        let folder = try dataFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let taken = try OccupiedPort()
        let result = try await ApexProcess.run(["serve", "--data-dir", folder, "--port", String(taken.port)])
        #expect(result.status != 0)
        #expect(result.output.contains("apex: Cannot listen on 127.0.0.1:\(taken.port): the port is already in use."))
        #expect(!postgresIsRunning(in: folder), "a failed start must stop the PostgreSQL it started")
    }

    @Test func malformedDatabaseURLExitsNonZero() async throws {
        let result = try await ApexProcess.run(["serve"], environment: ["DATABASE_URL": "postgres://user:secret@db"])
        #expect(result.status != 0)
        #expect(result.output.contains("DATABASE_URL is malformed: it names no database"))
        #expect(!result.output.contains("secret"))
    }

    @Test func unreachableDatabaseExitsNonZeroNamingTheHost() async throws {
        let result = try await ApexProcess.run(["serve", "--database-url", "postgres://apex@127.0.0.1:1/apex?sslmode=disable"])
        #expect(result.status != 0)
        #expect(result.output.contains("apex: Cannot connect to the database at 127.0.0.1:1:"))
    }

    @Test func unusableDataFolderExitsNonZero() async throws {
        let folder = try TestCluster.makeTemporaryFolder(prefix: "apex-serve")
        try "keep me".write(toFile: folder + "/notes.txt", atomically: true, encoding: .utf8)
        let result = try await ApexProcess.run(["serve", "--data-dir", folder])
        #expect(result.status != 0)
        #expect(result.output.contains("already holds files that are not an apex database"))
        #expect(try String(contentsOfFile: folder + "/notes.txt", encoding: .utf8) == "keep me")
    }

    @Test func missingPostgresProgramsExitNonZero() async throws {
        let empty = try TestCluster.makeTemporaryFolder(prefix: "apex-nobin")
        let result = try await ApexProcess.run(["serve", "--data-dir", try dataFolder()], environment: ["APEX_PG_BIN": empty])
        #expect(result.status != 0)
        #expect(result.output.contains("apt-get install -y postgresql"))
    }

    @Test func helpDocumentsEveryOptionAndItsVariable() async throws {
        let result = try await ApexProcess.run(["serve", "--help"])
        #expect(result.status == 0)
        // Help text wraps at the terminal width; compare with whitespace runs collapsed.
        let help = result.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for variable in ["APEX_HOST", "APEX_PORT", "APEX_DATA_DIR", "DATABASE_URL", "APEX_PG_BIN", "APEX_STANDARDS_DIR", "APEX_LOG_LEVEL", "APEX_LOG_FORMAT", "APEX_WORKFLOW_SETTINGS"] {
            #expect(help.contains("env: \(variable)"), "help lacks \(variable)")
        }
        for flag in ["--host", "--port", "--data-dir", "--database-url", "--pg-bin", "--standards-dir", "--log-level", "--log-format", "--workflow-settings"] {
            #expect(help.contains(flag))
        }
    }

    @Test func migrateStatusListsMigrations() async throws {
        let folder = try dataFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pending = try await ApexProcess.run(["migrate", "--status", "--data-dir", folder])
        #expect(pending.status == 0)
        #expect(pending.output.contains("pending  0002_workflow.sql"))
        let applied = try await ApexProcess.run(["migrate", "--data-dir", folder])
        let bundled = try Migrator.bundled().migrations.map(\.fileName)
        #expect(applied.output.contains("Applied \(bundled.count) migration(s): " + bundled.joined(separator: ", ")))
        let status = try await ApexProcess.run(["migrate", "--status", "--data-dir", folder])
        #expect(status.output.contains("applied  0001_catalog_releases.sql"))
        #expect(!postgresIsRunning(in: folder))
    }

    /// `apex standards export-json`, which scripts/check-schema.py validates: what apex read, or nothing.
    @Test func exportJSONPrintsWhatApexReadOrRefusesAtFileLineColumn() async throws {
        let release = TestApp.standards + "/apex-rpt/2026.1"
        let exported = try await ApexProcess.run(["standards", "export-json", release])
        #expect(exported.status == 0)
        #expect(exported.output.contains("\"indicators\" : 65"))
        let folder = try TestCluster.makeTemporaryFolder(prefix: "apex-export")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "agents: [ra223]\nsite_count: 0x10\n".write(toFile: folder + "/scope.yaml", atomically: true, encoding: .utf8)
        let refused = try await ApexProcess.run(["standards", "export-json", release, "--scope", folder + "/scope.yaml"])
        #expect(refused.status != 0)
        #expect(refused.output.contains(folder + "/scope.yaml:2:13: 'site_count' is written 0x10 in hexadecimal notation"))
        #expect(!refused.output.contains("\"releases\""))
    }
}

/// When PostgreSQL dies under keep-alive clients that keep writing, every request is still answered
/// (a 503 at its deadline at worst), SIGINT stops the scheduler and the server within the grace period,
/// and the process exits on its own.
@Suite struct ShutdownTests {
    @Test func postgresDyingUnderLoadNeverHangsRequestsOrShutdown() async throws {
        let root = try TestCluster.makeTemporaryFolder(prefix: "apex-shutdown")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = root + "/data"
        let apex = try ApexProcess(["serve", "--demo", "--data-dir", folder, "--port", "0", "--request-deadline", "3", "--shutdown-grace", "3"])
        let port = try await apex.waitForListeningPort()
        // One sign-in (bcrypt at its real cost) before the load; the load itself reads, so a busy test
        // machine spends its time on the requests, not on password hashing.
        var login = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/auth/login")!)
        login.httpMethod = "POST"
        login.setValue("application/json", forHTTPHeaderField: "Content-Type")
        login.httpBody = Data(#"{"email": "staff@apex.example", "password": "demo-password-2026"}"#.utf8)
        let (data, _) = try await URLSession.shared.data(for: login)
        let token = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["token"] as? String)
        let tally = Tally()
        let writers = Task { await Self.keepReading(port: port, token: token, tally: tally) }
        try await Task.sleep(for: .milliseconds(500))
        // PostgreSQL dies: its postmaster is killed outright.
        let pidText = try String(contentsOfFile: folder + "/postgres/postmaster.pid", encoding: .utf8)
        let postmaster = try #require(Int32(pidText.split(separator: "\n").first ?? ""))
        #expect(kill(postmaster, SIGKILL) == 0)
        try await Task.sleep(for: .seconds(5))
        let before = tally.statuses.count
        try await Task.sleep(for: .seconds(4))
        #expect(tally.statuses.count > before, "requests keep being answered while the database is down")
        apex.interrupt()
        try await apex.waitForExit(timeout: 60)
        tally.stop()
        await writers.value
        // Every request got an HTTP answer or a closed connection; none was left waiting for its 20 s timeout.
        let statuses = tally.statuses
        #expect(!statuses.isEmpty)
        #expect(statuses.contains(503), "requests past their deadline are answered 503: \(Set(statuses))")
    }

    /// Four keep-alive clients listing practices in a loop until told to stop.
    static func keepReading(port: Int, token: String, tally: Tally) async {
        let session = URLSession(configuration: .ephemeral)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while !tally.stopped {
                        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/practices")!)
                        request.timeoutInterval = 20
                        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                        let status = (try? await session.data(for: request)).map { ($0.1 as? HTTPURLResponse)?.statusCode ?? -1 } ?? -2
                        tally.record(status)
                    }
                }
            }
        }
    }

    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private var recorded: [Int] = []
        private var done = false
        var statuses: [Int] { lock.withLock { recorded } }
        var stopped: Bool { lock.withLock { done } }
        func record(_ status: Int) { lock.withLock { recorded.append(status) } }
        func stop() { lock.withLock { done = true } }
    }
}
