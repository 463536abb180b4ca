import AccreditationCore
import Foundation
import Persistence
import PostgresNIO
import TestSupport
import Testing

/// The plain verifier (`ChainVerifier`, which `HistoryChain.verify(application:)` runs over `HistoryEvent`s)
/// is the reference for the fast bulk reader (`verify()`, PostgreSQL's binary records): on random histories
/// with random tampering, both find the same first break in every chain, or none. A failure names its seed
/// and every change made, in order; rerun that seed alone to see it again.
@Suite struct ChainVerifierAgreementTests {
    typealias Random = WorkflowPropertyTests.Random

    /// Rounds of tampering per seed; both readers are compared after each.
    static let rounds = 6

    @Test(arguments: Array(1...16) as [UInt64])
    func theFastReaderFindsWhatThePlainVerifierFinds(seed: UInt64) async throws {
        try await WorkflowWorld.with { world in
            var owner = world.database
            owner.sessionRole = nil
            try await Database.withClient(owner, logger: TestCluster.logger) { ownerClient in
                try await ownerClient.withConnection { connection in
                    // Changes made as someone with direct database access: the owner, triggers and foreign keys off.
                    _ = try await connection.query("SET session_replication_role = replica", logger: TestCluster.logger)
                    var tamperer = Tamperer(world: world, connection: connection, random: Random(state: seed), log: ["seed \(seed)"])
                    try await tamperer.buildHistories()
                    let chain = HistoryChain(client: world.client, logger: TestCluster.logger)
                    for round in 1...Self.rounds {
                        for _ in 0..<(1 + tamperer.below(3)) {
                            try await tamperer.tamperOnce()
                        }
                        let partitions = 1 + tamperer.below(4)
                        var eventsPerRow = [1, 2, 3, 5, HistoryChain.defaultEventsPerRow][tamperer.below(5)]
                        // The fast reader sends a row per chunk of the seq range, gaps included: a seq near
                        // 2^31 would mean millions of rows. Such a range is read in a few large chunks.
                        if try await tamperer.seqRange() > 100_000 { eventsPerRow = 1 << 30 }
                        let bulk = try await chain.verify(partitions: partitions, eventsPerRow: eventsPerRow)
                        let context = "round \(round), \(partitions) partition(s), \(eventsPerRow) event(s) per row: "
                            + tamperer.log.joined(separator: "; ")
                        var applications = 0, events = 0
                        for application in tamperer.checked + [UUID()] {
                            let plain = try await chain.verify(application: application)
                            #expect(plain.breaks == bulk.breaks.filter { $0.applicationID == application },
                                    "application \(application) — \(context)")
                            applications += plain.applications
                            events += plain.events
                        }
                        #expect(applications == bulk.applications && events == bulk.events, "counts — \(context)")
                        #expect(bulk.breaks.allSatisfy { tamperer.checked.contains($0.applicationID) }, "a chain not checked — \(context)")
                        tamperer.comparisons += tamperer.checked.count
                        tamperer.breaks += bulk.breaks.count
                    }
                    print("ChainVerifierAgreementTests seed \(seed): \(tamperer.comparisons) chain comparisons, \(tamperer.breaks) break(s) found, "
                          + "\(tamperer.log.count - 1) step(s), \(tamperer.refused) refused by the schema")
                }
            }
        }
    }
}

/// Builds random histories and changes them behind the application's back, logging each step.
private struct Tamperer {
    let world: WorkflowWorld
    let connection: PostgresConnection
    var random: WorkflowPropertyTests.Random
    var log: [String]
    /// Every application id that has, or had, a chain or a row.
    var checked: [UUID] = []
    var comparisons = 0
    var breaks = 0
    /// Changes the schema itself refused (a duplicate seq, say): logged, and harmless to the comparison.
    var refused = 0

    static let texts = ["", "a", "Nachweis überprüft ✓ — 線量", "it's \"quoted\"", "line\nbreak\ttab", #"{"x":"1"}"#, "e\u{301}", "é", "🧪",
                        String(repeating: "long ", count: 300)]

    mutating func below(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }

    /// A few applications taken along the happy path to random states by the service, some of them
    /// extended by events written directly (hashed as the service hashes) with any text and any time.
    mutating func buildHistories() async throws {
        let targets: [ApplicationState] = [.draft, .submitted, .intakeReview, .selfAssessment, .documentReview, .readyForVisit, .visitScheduled]
        for _ in 0..<(3 + below(3)) {
            let application = try await world.newApplication()
            let target = pick(targets)
            try await world.advance(application, to: target)
            world.clock.advance(days: Double(below(30)))
            checked.append(application)
            let sealed = chance(50) ? 1 + below(12) : 0
            if sealed > 0 {
                try await appendSealed(to: application, count: sealed, updateHead: true)
            }
            log.append("\(application.uuidString.prefix(8)) built to \(target.rawValue) + \(sealed) sealed event(s)")
        }
    }

    /// One random change, logged.
    mutating func tamperOnce() async throws {
        let application = pick(checked)
        let rows = try await self.rows(of: application)
        let short = String(application.uuidString.prefix(8))
        let target = rows.isEmpty ? nil : pick(rows)
        let change: String
        let sql: String?
        switch below(13) {
        case 0, 1, 2:
            guard let target else { return try await tamperOnce() }
            let assignment = pick([
                "reason = reason || ' '", #"payload = '{"x":"1"}'"#, "action = action || 'x'", "actor_role = 'system'", "machine = 'rfi'",
                "to_state = to_state || '!'", "from_state = NULL", "from_state = '-'", "actor_id = NULL", "actor_id = gen_random_uuid()",
                "subject_id = gen_random_uuid()", "occurred_at = occurred_at + interval '1 microsecond'", "occurred_at = 'infinity'",
                "occurred_at = '-infinity'", "occurred_at = '294270-01-01'", "occurred_at = '1899-12-31 23:59:59.999999+00'",
                "prev_hash = upper(prev_hash)", "prev_hash = \(quote(pick(rows).hash))", "seq = seq + 100", "seq = 2147483647",
                "seq = 0", "seq = -5",
            ])
            change = "\(short) event #\(target.seq): \(assignment)"
            sql = "UPDATE history_events SET \(assignment) WHERE id = \(target.id)"
        case 3:
            guard let target else { return try await tamperOnce() }
            let assignment = pick(["hash = 'abc'", "hash = upper(hash)", "hash = md5(hash) || md5(hash)", "hash = prev_hash",
                                   "hash = \(quote(pick(rows).hash))"])
            change = "\(short) event #\(target.seq): \(assignment)"
            sql = "UPDATE history_events SET \(assignment) WHERE id = \(target.id)"
        case 4, 5:
            guard let target else { return try await tamperOnce() }
            let last = chance(30) ? rows.last! : target
            change = "\(short) deleted event #\(last.seq)"
            sql = "DELETE FROM history_events WHERE id = \(last.id)"
        case 6:
            guard rows.count >= 2 else { return try await tamperOnce() }
            let (a, b) = (pick(rows), pick(rows))
            change = "\(short) swapped #\(a.seq) and #\(b.seq)"
            try await run(change, "UPDATE history_events SET seq = -1999999999 WHERE id = \(a.id)")
            try await run(change, "UPDATE history_events SET seq = \(a.seq) WHERE id = \(b.id)")
            sql = "UPDATE history_events SET seq = \(b.seq) WHERE id = \(a.id)"
        case 7:
            let assignment = pick(["history_seq = history_seq + 1", "history_seq = history_seq - 1", "history_seq = history_seq + 3",
                                   "history_seq = 0", "history_hash = upper(history_hash)", "history_hash = 'abc'",
                                   "history_hash = \(quote(rows.isEmpty ? HistoryEvent.genesisHash : pick(rows).hash))"])
            change = "\(short) head: \(assignment)"
            sql = "UPDATE applications SET \(assignment) WHERE id = '\(application)'"
        case 8:
            // A forged event, hashed right, at the end (with or without the head) or at a free seq further on.
            let updateHead = chance(50)
            let skip = chance(30) ? 1 + below(3) : 0
            let seq = (rows.last?.seq ?? 0) + skip + 1
            log.append("\(short) appended a sealed event at #\(seq)\(updateHead ? ", head updated" : "")")
            return try await appendSealed(to: application, count: 1, updateHead: updateHead, skip: skip)
        case 9:
            // An event replaced by a correctly hashed one with other content, linked to the one before it.
            guard let target else { return try await tamperOnce() }
            let before = rows.last { $0.seq < target.seq }
            log.append("\(short) replaced event #\(target.seq) by a sealed one")
            try await run("replace", "DELETE FROM history_events WHERE id = \(target.id)")
            try await insertSealed(application: application, seq: target.seq, prevHash: before?.hash ?? HistoryEvent.genesisHash)
            return
        case 10:
            change = "\(short) deleted its whole chain"
            sql = "DELETE FROM history_events WHERE application_id = '\(application)'"
        case 11:
            change = "\(short) deleted the application row"
            sql = "DELETE FROM applications WHERE id = '\(application)'"
        default:
            // Events of an application that never existed.
            let stranger = UUID()
            checked.append(stranger)
            log.append("events for the unknown application \(stranger.uuidString.prefix(8))")
            for seq in 1...(1 + below(2)) {
                try await insertSealed(application: stranger, seq: seq, prevHash: HistoryEvent.genesisHash)
            }
            return
        }
        log.append(change)
        if let sql { try await run(change, sql) }
    }

    /// Runs one statement as the tamperer; a statement the schema refuses is logged, not fatal.
    mutating func run(_ change: String, _ sql: String) async throws {
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestCluster.logger)
        } catch let error as PSQLError {
            refused += 1
            log.append("(refused: \(Database.describe(error)))")
        }
    }

    /// `count` events after the application's last, hashed and linked as the service would, `skip` seqs
    /// further on; the head follows them when `updateHead`.
    mutating func appendSealed(to application: UUID, count: Int, updateHead: Bool, skip: Int = 0) async throws {
        let rows = try await self.rows(of: application)
        var seq = (rows.last?.seq ?? 0) + skip
        var hash = rows.last?.hash ?? HistoryEvent.genesisHash
        for _ in 0..<count {
            seq += 1
            hash = try await insertSealed(application: application, seq: seq, prevHash: hash)
        }
        if updateHead {
            try await run("head", "UPDATE applications SET history_seq = \(seq), history_hash = \(quote(hash)) WHERE id = '\(application)'")
        }
    }

    /// Inserts one event with random content whose hash is right for it; answers that hash.
    @discardableResult
    mutating func insertSealed(application: UUID, seq: Int, prevHash: String) async throws -> String {
        let micros = pick([Int64(1_790_000_000_000_000), -1_000_000_000_000_000, 0, 1]) + Int64(below(1_000_000_000))
        // Now and then a time beyond 64-bit microseconds since 1970, hashed over the plain reader's
        // placeholder for it: a forgery only the out-of-range rule catches.
        let beyond = chance(10)
        let actor: UUID? = chance(30) ? nil : UUID()
        let role = pick(["staff", "system", "practice-admin"])
        let machine = pick(["application", "rfi", "evidence"])
        let subject = chance(50) ? application : UUID()
        let action = pick(["submit", "note", "accept"])
        let from: String? = chance(30) ? nil : pick(["draft", "-", ""])
        let to = pick(["submitted", "open", ""])
        let reason = pick(Self.texts)
        let payload = pick(["{}", #"{"text":"Überprüfung"}"#, #"{"a":"1","b":"2"}"#])
        let hash = Encoding.sha256Hex(HistoryEvent.hashInput(
            applicationID: application, seq: seq, occurredAtMicros: beyond ? .max : micros, actorID: actor, actorRole: role, machine: machine,
            subjectID: subject, action: action, fromState: from, toState: to, reason: reason, payload: payload, prevHash: prevHash))
        do {
            _ = try await connection.query("""
                INSERT INTO history_events (application_id, seq, occurred_at, actor_id, actor_role, machine, subject_id, action,
                                            from_state, to_state, reason, payload, prev_hash, hash)
                VALUES (\(application), \(seq), CASE WHEN \(beyond) THEN timestamptz 'infinity'
                                                     ELSE timestamptz 'epoch' + \(micros) * interval '1 microsecond' END,
                        \(actor), \(role), \(machine), \(subject), \(action), \(from), \(to), \(reason), \(payload), \(prevHash), \(hash))
                """, logger: TestCluster.logger)
        } catch let error as PSQLError {
            refused += 1
            log.append("(refused: \(Database.describe(error)))")
        }
        return hash
    }

    /// The stored events of an application, read without their times (which may be beyond any `Date`).
    func rows(of application: UUID) async throws -> [(id: Int64, seq: Int, hash: String)] {
        var rows: [(id: Int64, seq: Int, hash: String)] = []
        for try await row in try await connection.query(
            "SELECT id, seq, hash FROM history_events WHERE application_id = \(application) ORDER BY seq", logger: TestCluster.logger
        ).decode((Int64, Int, String).self) { rows.append(row) }
        return rows
    }

    /// The widest range of seqs (stored or recorded as a head) any chain spans.
    func seqRange() async throws -> Int {
        var range = 0
        for try await value in try await connection.query("""
            SELECT coalesce(greatest((SELECT max(seq)::bigint - least(1, min(seq)) FROM history_events),
                                     (SELECT max(history_seq)::bigint FROM applications)), 0)
            """, logger: TestCluster.logger).decode(Int.self) { range = value }
        return range
    }

    func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
