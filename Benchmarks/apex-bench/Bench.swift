import AccreditationCore
import ArgumentParser
import Crypto
import EmbeddedPostgres
import Foundation
import Logging
import Persistence
import PostgresNIO

/// Workflow benchmarks, each beside a baseline measured in the same run on the same embedded PostgreSQL:
/// transitions per second against pgbench running the same statements, and `audit verify` against
/// sha256sum over the same bytes.
@main
struct Bench: AsyncParsableCommand {
    @Option(help: "Seconds per transition run.") var seconds = 10
    @Option(help: "History events for the verify benchmark.") var events = 1_000_000
    @Option(help: "Worker counts.") var workers: [Int] = [1, 8, 32]
    @Flag(help: "Run only the audit verify benchmark.") var verifyOnly = false
    @Option(help: "Measured runs of verify and of sha256sum (medians are compared).") var runs = 5

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1.") }
    }

    func run() async throws {
        let logger: Logger = {
            var logger = Logger(label: "apex.bench")
            logger.logLevel = .warning
            return logger
        }()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("apex-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        chmod(folder, 0o755)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Durable settings, as `apex serve` runs it.
        let server = try EmbeddedPostgres.start(.init(dataFolder: folder + "/data"), logger: logger)
        defer { server.stop() }
        let login = DatabaseSettings(endpoint: .unixSocket(path: server.socketPath), username: server.superuser, database: "apex")
        try await Database.createIfMissing(login, logger: logger)
        try await Database.withClient(login, logger: logger) { client in
            try await Migrator.bundled().apply(on: client, logger: logger)
            _ = try await CatalogStore(client: client, logger: logger).publish(Self.release)
        }
        let maxWorkers = workers.max() ?? 1
        try await seedApplications(count: maxWorkers, settings: login, logger: logger)
        let script = folder + "/transition.sql"
        try Self.pgbenchScript.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o644)

        if !verifyOnly {
            print("| workers | apex transitions/s | pgbench same statements (tps) | ratio |")
            print("|---|---|---|---|")
            for count in workers {
                let apex = try await transitions(workers: count, settings: login.asService, logger: logger)
                let pgbench = try pgbenchTPS(workers: count, script: script, server: server)
                print("| \(count) | \(Int(apex)) | \(Int(pgbench)) | \(String(format: "%.2f", apex / pgbench)) |")
            }
            print("")
        }
        try await verifyBenchmark(settings: login, folder: folder, logger: logger)
    }

    // MARK: - Transitions

    static let release = CatalogRelease(
        id: "bench", version: "2026.1", title: "Benchmark", effective: "2026-01-01", status: .published, pathways: [.rptStandalone],
        scoringScales: [ScoringScale(id: "compliance", title: "C", values: [.init(id: "compliant", title: "C", meets: true)])],
        references: [Reference(id: "cfr", title: "CFR", publisher: "NRC", year: 2024, url: "https://www.nrc.gov/")],
        domains: [Domain(code: "GOV", title: "G", summary: "s", standards: [Standard(code: "GOV.1", title: "S", summary: "s", indicators: [
            Indicator(code: "GOV-01", title: "t", requirement: "r", guidance: "g", evidence: [.init(kind: .policy, description: "d")],
                      level: .mustMeet, scoring: "compliance", references: [.init(ref: "cfr", locator: "35")]),
        ])])]
    )

    /// Worker n owns application 00000000-0000-0000-0000-00000000000n, in draft; pgbench uses the same ids.
    static func applicationID(_ worker: Int) -> UUID {
        UUID(uuidString: String(format: "00000000-0000-0000-0000-%012d", worker + 1))!
    }

    static let staffID = UUID(uuidString: "00000000-0000-0000-0001-000000000001")!
    static let adminID = UUID(uuidString: "00000000-0000-0000-0001-000000000002")!

    func seedApplications(count: Int, settings: DatabaseSettings, logger: Logger) async throws {
        try await Database.withClient(settings, logger: logger) { client in
            let store = WorkflowStore(client: client, logger: logger)
            let practice = try await store.createPractice(
                PracticeRecord(legalName: "Bench", address: "1 Bench St", licenceNumber: "B-1", regulator: "US-NRC", scope: PracticeScope(agents: [.ra223])),
                facilities: [FacilityRecord(name: "Main", address: "1 Bench St", isMain: true, distanceMiles: 0)])
            _ = try await client.query("""
                INSERT INTO people (id, email, display_name, role, practice_id, created_at) VALUES
                (\(Self.staffID), 'staff@bench', 'Staff', 'staff', NULL, now()), (\(Self.adminID), 'admin@bench', 'Admin', 'practice-admin', \(practice), now())
                """, logger: logger)
            for worker in 0..<count {
                let now = Date()
                _ = try await client.query("""
                    INSERT INTO applications (id, practice_id, release_id, pathway, term_years, scope, state, created_at, updated_at)
                    VALUES (\(Self.applicationID(worker)), \(practice), 'bench@2026.1', 'rpt-standalone', 3, (SELECT scope FROM practices WHERE id = \(practice)), 'draft', \(now), \(now))
                    """, logger: logger)
            }
        }
    }

    /// Each worker cycles its application draft → submitted → intake-review → draft, each step a full
    /// transition (lock, version check, table decision, update, hash-chained history event, commit).
    func transitions(workers: Int, settings: DatabaseSettings, logger: Logger) async throws -> Double {
        var configuration = settings.clientConfiguration
        configuration.options.maximumConnections = max(workers, 4)
        configuration.options.minimumConnections = workers
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask { await client.run(); return 0 }
            let clock = SystemClock()
            let store = WorkflowStore(client: client, logger: logger, clock: clock)
            let staff = WorkflowActor(id: Self.staffID, role: .staff)
            let admin = WorkflowActor(id: Self.adminID, role: .practiceAdmin)
            let cycle: [(ApplicationAction, WorkflowActor)] = [(.submit, admin), (.beginIntake, staff), (.returnToPractice, staff)]
            // Warm the pool and the plans.
            for worker in 0..<workers {
                let version = try await store.application(Self.applicationID(worker)).version
                _ = version
            }
            let deadline = ContinuousClock.now + .seconds(seconds)
            let start = ContinuousClock.now
            let results = try await withThrowingTaskGroup(of: Int.self) { inner in
                for worker in 0..<workers {
                    inner.addTask {
                        let id = Self.applicationID(worker)
                        let summary = try await store.application(id)
                        var version = summary.version
                        var step = [ApplicationState.draft: 0, .submitted: 1, .intakeReview: 2][summary.state] ?? 0
                        var done = 0
                        while ContinuousClock.now < deadline {
                            let (action, actor) = cycle[step % 3]
                            version = try await store.fire(action, application: id, actor: actor, expectedVersion: version).version
                            step += 1
                            done += 1
                        }
                        return done
                    }
                }
                return try await inner.reduce(0, +)
            }
            let elapsed = ContinuousClock.now - start
            group.cancelAll()
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return Double(results) / seconds
        }
    }


    /// The statements one transition runs, for pgbench: the locking read (with the actor and the chain
    /// head), the history insert and the update of state and head, in one transaction.
    static let pgbenchScript = """
        \\set w :client_id + 1
        BEGIN;
        SELECT a.practice_id, a.release_id, a.term_years, a.scope::text AS scope, a.state, a.version, coalesce(a.appeal_deadline::text, '') AS deadline, a.history_seq + 1 AS next, a.history_hash, p.role, coalesce(p.practice_id::text, '') AS actor_practice FROM applications a LEFT JOIN people p ON p.id = '00000000-0000-0000-0001-000000000001' WHERE a.id = ('00000000-0000-0000-0000-' || lpad(:w::text, 12, '0'))::uuid FOR UPDATE OF a \\gset
        INSERT INTO history_events (application_id, seq, occurred_at, actor_id, actor_role, machine, subject_id, action, from_state, to_state, reason, payload, prev_hash, hash) VALUES (('00000000-0000-0000-0000-' || lpad(:w::text, 12, '0'))::uuid, :next, now(), '00000000-0000-0000-0001-000000000001', 'staff', 'application', ('00000000-0000-0000-0000-' || lpad(:w::text, 12, '0'))::uuid, 'submit', 'draft', 'submitted', '', '{}', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
        UPDATE applications SET state = 'submitted', version = version + 1, updated_at = now(), history_seq = :next, history_hash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' WHERE id = ('00000000-0000-0000-0000-' || lpad(:w::text, 12, '0'))::uuid;
        END;

        """

    func pgbenchTPS(workers: Int, script: String, server: EmbeddedPostgres) throws -> Double {
        let binaries = try PostgresBinaries.locate()
        let output = script + ".out"
        // Through the shell with system(3): Foundation's Process left pgbench spinning past its -T limit here.
        let command = "'\(binaries.folder)/pgbench' -n -h '\(server.socketFolder)' -U \(server.superuser) -c \(workers) -j \(min(workers, 2)) "
            + "-T \(seconds) -f '\(script)' apex > '\(output)' 2>&1"
        let status = system(command)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0, let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
              let tps = Double(line.dropFirst(6).split(separator: " ").first ?? "") else {
            throw ValidationError("pgbench failed (\(status)):\n\(text)")
        }
        return tps
    }

    // MARK: - Verify

    func verifyBenchmark(settings: DatabaseSettings, folder: String, logger: Logger) async throws {
        let perApplication = 1000
        let chains = max(1, events / perApplication)
        let bytesFile = folder + "/hash-inputs.bin"
        _ = FileManager.default.createFile(atPath: bytesFile, contents: nil)
        let sink = try FileHandle(forWritingTo: URL(fileURLWithPath: bytesFile))
        let totalBytes = try await Database.withClient(settings, logger: logger) { client in
            var totalBytes = 0
            let practice: UUID = try await {
                for try await id in try await client.query("SELECT id FROM practices LIMIT 1", logger: logger).decode(UUID.self) { return id }
                throw ValidationError("no practice")
            }()
            _ = try await client.query("ALTER TABLE history_events DISABLE TRIGGER history_events_append_only", logger: logger)
            _ = try await client.query("DELETE FROM history_events", logger: logger)
            _ = try await client.query("UPDATE applications SET history_seq = 0, history_hash = \(HistoryEvent.genesisHash)", logger: logger)
            _ = try await client.query("ALTER TABLE history_events ENABLE TRIGGER history_events_append_only", logger: logger)
            let base = Int64(Date().timeIntervalSince1970 * 1_000_000)
            for chain in 0..<chains {
                let application = UUID()
                let now = Date()
                _ = try await client.query("""
                    INSERT INTO applications (id, practice_id, release_id, pathway, term_years, scope, state, created_at, updated_at)
                    VALUES (\(application), \(practice), 'bench@2026.1', 'rpt-standalone', 3, (SELECT scope FROM practices WHERE id = \(practice)), 'draft', \(now), \(now))
                    """, logger: logger)
                var prev = HistoryEvent.genesisHash
                var seqs: [Int] = [], micros: [Int64] = [], actions: [String] = [], reasons: [String] = [], prevs: [String] = [], hashes: [String] = []
                var chunk = Data()
                for seq in 1...perApplication {
                    let at = base + Int64(chain * perApplication + seq)
                    let reason = seq % 7 == 0 ? "Surveyor asked for the calibration certificate of the survey meter." : ""
                    let input = HistoryEvent.hashInput(applicationID: application, seq: seq, occurredAtMicros: at, actorID: nil, actorRole: "staff",
                                                       machine: "application", subjectID: application, action: "request-revisions",
                                                       fromState: "document-review", toState: "revisions-requested", reason: reason,
                                                       payload: "{}", prevHash: prev)
                    chunk.append(contentsOf: input)
                    let hash = SHA256.hash(data: input).map { String(format: "%02x", $0) }.joined()
                    seqs.append(seq); micros.append(at); actions.append("request-revisions"); reasons.append(reason); prevs.append(prev); hashes.append(hash)
                    prev = hash
                }
                totalBytes += chunk.count
                sink.write(chunk)
                _ = try await client.query("""
                    INSERT INTO history_events (application_id, seq, occurred_at, actor_id, actor_role, machine, subject_id, action,
                                                from_state, to_state, reason, payload, prev_hash, hash)
                    SELECT \(application), s, timestamptz 'epoch' + m * interval '1 microsecond', NULL, 'staff', 'application', \(application), a,
                           'document-review', 'revisions-requested', r, '{}', p, h
                    FROM unnest(\(seqs)::int[], \(micros)::bigint[], \(actions)::text[], \(reasons)::text[], \(prevs)::text[], \(hashes)::text[]) AS t(s, m, a, r, p, h)
                    """, logger: logger)
                _ = try await client.query("UPDATE applications SET history_seq = \(perApplication), history_hash = \(prev) WHERE id = \(application)", logger: logger)
            }
            _ = try await client.query("ANALYZE history_events", logger: logger)
            return totalBytes
        }
        try sink.close()
        // Alternating runs of each, after one unmeasured run of each to warm the caches; the medians are compared.
        var verifyTimes: [Double] = [], shaTimes: [Double] = []
        for run in 0...runs {
            let start = ContinuousClock.now
            let report = try await Database.withClient(settings, logger: logger) { client in
                try await HistoryChain(client: client, logger: logger).verify()
            }
            let verifySeconds = Self.seconds(ContinuousClock.now - start)
            guard report.isIntact, report.events == chains * perApplication else { throw ValidationError("verify failed: \(report.breaks.prefix(3))") }
            // Baseline: sha256sum over exactly the bytes verify hashes (read from a file in the page cache).
            let shaSeconds = try Self.runTimed("/usr/bin/sha256sum", [bytesFile])
            guard run > 0 else { continue }
            verifyTimes.append(verifySeconds)
            shaTimes.append(shaSeconds)
        }
        let verifySeconds = Self.median(verifyTimes), shaSeconds = Self.median(shaTimes)
        let mib = Double(totalBytes) / 1_048_576
        let events = chains * perApplication
        print("| measure | events | MiB hashed | seconds | MiB/s | events/s |")
        print("|---|---|---|---|---|---|")
        print(String(format: "| apex audit verify (read from PostgreSQL + per-event SHA-256) | %d | %.1f | %.2f | %.1f | %.0f |",
                     events, mib, verifySeconds, mib / verifySeconds, Double(events) / verifySeconds))
        print(String(format: "| sha256sum over the same bytes (one stream) | %d | %.1f | %.2f | %.1f | – |",
                     events, mib, shaSeconds, mib / shaSeconds))
        print(String(format: "\nMedians of %d runs each. apex verify: %.2f to %.2f s; sha256sum: %.2f to %.2f s.", runs,
                     verifyTimes.min()!, verifyTimes.max()!, shaTimes.min()!, shaTimes.max()!))
        print(String(format: "ratio apex verify / sha256sum (medians): %.2f", shaSeconds / verifySeconds))
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func runTimed(_ executable: String, _ arguments: [String]) throws -> Double {
        let command = ([executable] + arguments).map { "'\($0)'" }.joined(separator: " ") + " > /dev/null"
        let start = ContinuousClock.now
        guard system(command) == 0 else { throw ValidationError("\(executable) failed") }
        return seconds(ContinuousClock.now - start)
    }
}
