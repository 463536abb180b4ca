public import AccreditationCore
public import Foundation
public import Logging
public import PostgresNIO

/// Reads and verifies the per-application hash chains of `history_events`.
public struct HistoryChain: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public struct Break: Sendable, Equatable, CustomStringConvertible {
        public let applicationID: UUID
        public let eventID: Int64
        public let seq: Int
        public let problem: String

        public init(applicationID: UUID, eventID: Int64, seq: Int, problem: String) {
            self.applicationID = applicationID
            self.eventID = eventID
            self.seq = seq
            self.problem = problem
        }

        public var description: String {
            eventID == 0 ? "application \(applicationID): \(problem)" : "application \(applicationID): event \(eventID) (#\(seq)) \(problem)"
        }
    }

    public struct Report: Sendable, Equatable {
        public var applications = 0
        public var events = 0
        /// The first broken link of each chain that has one.
        public var breaks: [Break] = []
        public var isIntact: Bool { breaks.isEmpty }
    }

    /// Events per row. A row per chunk of a chain instead of a row per event is what makes verification
    /// fast: reading a row costs far more, on both sides, than reading a value. Events are bounded
    /// (`HistoryEvent.maximumTextBytes`), so a chunk stays well below PostgreSQL's 1 GB per value: about
    /// 300 KiB typically, 70 MiB at most. Smaller chunks cost more than they save.
    public static let defaultEventsPerRow = 1024

    public func events(of application: UUID) async throws -> [HistoryEvent] {
        var events: [HistoryEvent] = []
        try await stream(application: application) { events.append($0) }
        return events
    }

    /// Recomputes every hash and follows every link, per application; a chain is broken where a hash does
    /// not match its content, a link does not name its predecessor, a sequence number is missing (a deleted
    /// row), or its end is not the head its application records (the rules: `ChainVerifier`).
    ///
    /// With an `application`, its events are read as `HistoryEvent`s and checked by the plain
    /// `ChainVerifier`; `partitions` and `eventsPerRow` do not apply. Without, every chain is checked by the
    /// fast binary reader (`ChainChecker`), which must agree with the plain one: `partitions` defaults to
    /// the number of cores; `eventsPerRow` is how much of a chain PostgreSQL sends at once.
    public func verify(application: UUID? = nil, partitions: Int? = nil, eventsPerRow: Int = HistoryChain.defaultEventsPerRow) async throws -> Report {
        if let application { return try await verifyPlainly(application) }
        // Chains are independent: whole chains are split between connections by ranges of application id
        // and checked side by side.
        let spans = try await ChainSpan.split(client: client, into: partitions ?? max(2, ProcessInfo.processInfo.activeProcessorCount),
                                              chunk: eventsPerRow, logger: logger)
        let reports = try await withThrowingTaskGroup(of: Report.self) { group in
            for span in spans {
                group.addTask { try await check(span) }
            }
            group.addTask { try await orphans(ChainSpan()) }
            return try await group.reduce(into: [Report]()) { $0.append($1) }
        }
        var total = Report()
        for report in reports {
            total.applications += report.applications
            total.events += report.events
            total.breaks += report.breaks
        }
        total.breaks.sort { ($0.applicationID.uuidString, $0.seq) < ($1.applicationID.uuidString, $1.seq) }
        return total
    }

    private func check(_ span: ChainSpan) async throws -> Report {
        try await client.transaction(logger: logger) { connection in
            // One long read: compiling it to machine code costs more than it saves.
            _ = try await connection.query("SET LOCAL jit = off", logger: logger)
            var checker = ChainChecker()
            for try await (id, headSeq, headHash, events) in try await connection.query(span.query, logger: logger)
                .decode((UUID, Int, String, ByteBuffer?).self) {
                try checker.check(application: id, headSeq: headSeq, headHash: headHash, events: events)
            }
            return checker.finish()
        }
    }

    /// Where events that name no application are reported.
    static let noApplication = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!

    /// Events whose application row was removed are reported, not skipped.
    private func orphans(_ span: ChainSpan) async throws -> Report {
        var report = Report()
        for try await (application, count, firstEvent) in try await client.query(span.orphans, logger: logger).decode((UUID?, Int, Int64).self) {
            report.applications += 1
            report.events += count
            report.breaks.append(Break(applicationID: application ?? Self.noApplication, eventID: firstEvent, seq: 0, problem: application == nil
                ? "has \(count) event(s) that name no application"
                : ChainVerifier.Problem.applicationMissing(events: count)))
        }
        return report
    }

    /// One application's chain by the plain verifier. The head and the events are read in one snapshot, so
    /// an event appended meanwhile is either in both or in neither.
    private func verifyPlainly(_ application: UUID) async throws -> Report {
        let (head, chain) = try await client.transaction(logger: logger) { connection in
            _ = try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            var head: ChainVerifier.Head?
            for try await (seq, hash) in try await connection.query("""
                SELECT history_seq, history_hash FROM applications WHERE id = \(application)
                """, logger: logger).decode((Int, String).self) {
                head = ChainVerifier.Head(seq: seq, hash: hash)
            }
            return (head, try await Self.chain(of: application, on: connection, logger: logger))
        }
        var report = Report()
        guard head != nil || !chain.events.isEmpty else { return report }
        report.applications = 1
        report.events = chain.events.count
        if let found = ChainVerifier.firstBreak(application: application, head: head, events: chain.events,
                                                timesOutOfRange: chain.timesOutOfRange, sha256Hex: { Encoding.sha256Hex($0) }) {
            report.breaks = [Break(applicationID: application, eventID: found.eventID, seq: found.seq, problem: found.problem)]
        }
        return report
    }

    /// An application's events exactly as stored, for verification. Unlike `events(of:)`, which serves
    /// display, the time is taken from PostgreSQL's own value (microseconds since 2000), as the fast reader
    /// takes it: every stored time, infinities included, is read, and those beyond 64-bit microseconds
    /// since 1970 are listed instead of failing the read. Columns of another type, or nulls where the
    /// schema has none, stop the check with the fast reader's error.
    private static func chain(of application: UUID, on connection: PostgresConnection, logger: Logger) async throws
        -> (events: [HistoryEvent], timesOutOfRange: Set<Int64>) {
        // The columns of `RecordFields.columns`, in its order.
        let rows = try await connection.query("""
            SELECT id, seq, occurred_at, actor_id, actor_role, machine, subject_id, action, from_state, to_state, reason, payload,
                   prev_hash, hash
            FROM history_events
            WHERE application_id = \(application)
            ORDER BY seq
            """, logger: logger)
        var events: [HistoryEvent] = []
        var outOfRange: Set<Int64> = []
        for try await row in rows {
            let cells = row.makeRandomAccess()
            func value<T: PostgresDecodable>(_ index: Int, _ type: PostgresDataType, as _: T.Type) throws -> T? {
                let cell = cells[index]
                guard cell.dataType == type else { throw UnreadableHistory(application: application, column: RecordFields.columns[index]) }
                guard cell.bytes != nil else { return nil }
                do { return try cell.decode(T.self, context: .default) } catch {
                    throw UnreadableHistory(application: application, column: RecordFields.columns[index])
                }
            }
            func required<T: PostgresDecodable>(_ index: Int, _ type: PostgresDataType, as _: T.Type) throws -> T {
                guard let value = try value(index, type, as: T.self) else {
                    throw UnreadableHistory(application: application, column: RecordFields.columns[index])
                }
                return value
            }
            let id = try required(0, .int8, as: Int64.self)
            var time = try required(2, .timestamptz, as: ByteBuffer.self)
            guard time.readableBytes == 8, let since2000 = time.readInteger(as: Int64.self) else {
                throw UnreadableHistory(application: application, column: RecordFields.columns[2])
            }
            let (micros, overflow) = since2000.addingReportingOverflow(ChainChecker.postgresEpochMicros)
            if overflow { outOfRange.insert(id) }
            events.append(HistoryEvent(
                id: id, applicationID: application, seq: Int(try required(1, .int4, as: Int32.self)),
                occurredAtMicros: overflow ? .max : micros, actorID: try value(3, .uuid, as: UUID.self),
                actorRole: try required(4, .text, as: String.self), machine: try required(5, .text, as: String.self),
                subjectID: try required(6, .uuid, as: UUID.self), action: try required(7, .text, as: String.self),
                fromState: try value(8, .text, as: String.self), toState: try required(9, .text, as: String.self),
                reason: try required(10, .text, as: String.self), payload: try required(11, .text, as: String.self),
                prevHash: try required(12, .text, as: String.self), hash: try required(13, .text, as: String.self)))
        }
        return (events, outOfRange)
    }

    private func stream(application: UUID, _ body: (HistoryEvent) throws -> Void) async throws {
        let rows = try await client.query("""
            SELECT id, application_id, seq, (extract(epoch FROM occurred_at) * 1000000)::bigint, actor_id, actor_role, machine,
                   subject_id, action, from_state, to_state, reason, payload, prev_hash, hash
            FROM history_events
            WHERE application_id = \(application)
            ORDER BY seq
            """, logger: logger)
        for try await (id, app, seq, micros, actor, role, machine, subject, action, from, to, reason, payload, prev, hash)
            in rows.decode((Int64, UUID, Int, Int64, UUID?, String, String, UUID, String, String?, String, String, String, String, String).self) {
            try body(HistoryEvent(id: id, applicationID: app, seq: seq, occurredAtMicros: micros, actorID: actor, actorRole: role,
                                  machine: machine, subjectID: subject, action: action, fromState: from, toState: to, reason: reason,
                                  payload: payload, prevHash: prev, hash: hash))
        }
    }
}
