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
    /// row), or its end is not the head its application records. `partitions` defaults to the number of
    /// cores; `eventsPerRow` is how much of a chain PostgreSQL sends at once.
    public func verify(application: UUID? = nil, partitions: Int? = nil, eventsPerRow: Int = HistoryChain.defaultEventsPerRow) async throws -> Report {
        // Chains are independent: whole chains are split between connections by ranges of application id
        // and checked side by side.
        let spans = if let application { [ChainSpan(only: application, chunk: eventsPerRow)] }
                    else { try await ChainSpan.split(client: client, into: partitions ?? max(2, ProcessInfo.processInfo.activeProcessorCount),
                                                     chunk: eventsPerRow, logger: logger) }
        let reports = try await withThrowingTaskGroup(of: Report.self) { group in
            for span in spans {
                group.addTask { try await check(span) }
            }
            group.addTask { try await orphans(application.map { ChainSpan(only: $0) } ?? ChainSpan()) }
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
                : "has \(count) event(s), but the application itself is missing"))
        }
        return report
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
