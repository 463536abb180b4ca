public import AccreditationCore
public import Foundation
public import Logging
public import PostgresNIO
import Crypto

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

    public func events(of application: UUID) async throws -> [HistoryEvent] {
        var events: [HistoryEvent] = []
        try await stream(application: application) { events.append($0) }
        return events
    }

    /// Recomputes every hash in order, per application; a chain is broken where a hash does not match its
    /// content, a link does not name its predecessor, or a sequence number is missing (a deleted row).
    public func verify(application: UUID? = nil, partitions: Int = 2) async throws -> Report {
        // Chains are independent: whole chains are split between connections (by application id) and
        // checked side by side.
        let count = application == nil ? max(1, partitions) : 1
        let reports = try await withThrowingTaskGroup(of: Report.self) { group in
            for partition in 0..<count {
                group.addTask { try await verify(application: application, partition: partition, of: count) }
            }
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

    private func verify(application: UUID?, partition: Int, of partitions: Int) async throws -> Report {
        // The head (last seq and hash) each application records, written with every event: events
        // deleted from the end of a chain, or a whole chain, show up against it.
        var heads: [UUID: (seq: Int, hash: String)] = [:]
        for try await (id, seq, hash) in try await client.query("""
            SELECT id, history_seq, history_hash FROM applications
            WHERE (\(application == nil) OR id = \(application ?? UUID()))
              AND (\(partitions) = 1 OR (hashtext(id::text) & 2147483647) % \(partitions) = \(partition))
            """, logger: logger).decode((UUID, Int, String).self) {
            heads[id] = (seq, hash)
        }
        var report = Report()
        var current: UUID?
        var lastEvent: HistoryEvent?
        var expectedSeq = 1
        var previousHash = HistoryEvent.genesisHash
        var broken = false
        var seen = Set<UUID>()

        func closeChain() {
            guard let current, !broken else { return }
            let head = heads[current] ?? (0, HistoryEvent.genesisHash)
            let endSeq = lastEvent?.seq ?? 0
            if head.seq != endSeq || head.hash != previousHash {
                let missing = head.seq - endSeq
                let problem = missing > 0
                    ? "ends the chain at #\(endSeq), but the application records #\(head.seq): the last \(missing) event(s) are missing"
                    : "ends the chain, but does not match the head the application records"
                report.breaks.append(Break(applicationID: current, eventID: lastEvent?.id ?? 0, seq: endSeq, problem: problem))
            }
        }

        try await stream(application: application, partition: partition, of: partitions) { event in
            report.events += 1
            if event.applicationID != current {
                closeChain()
                current = event.applicationID
                seen.insert(event.applicationID)
                report.applications += 1
                expectedSeq = 1
                previousHash = HistoryEvent.genesisHash
                broken = false
                lastEvent = nil
            }
            guard !broken else { return }
            let problem: String?
            if event.seq != expectedSeq {
                problem = "follows #\(expectedSeq - 1): \(event.seq - expectedSeq) event(s) before it are missing"
            } else if event.prevHash != previousHash {
                problem = "does not link to the event before it"
            } else if Self.hash(event) != event.hash {
                problem = "does not match its hash: the row was changed"
            } else {
                problem = nil
            }
            if let problem {
                report.breaks.append(Break(applicationID: event.applicationID, eventID: event.id, seq: event.seq, problem: problem))
                broken = true
            }
            expectedSeq = event.seq + 1
            previousHash = event.hash
            lastEvent = event
        }
        closeChain()
        // Applications whose whole chain is gone.
        for (id, head) in heads where head.seq > 0 && !seen.contains(id) {
            report.applications += 1
            report.breaks.append(Break(applicationID: id, eventID: 0, seq: 0,
                                       problem: "has no events, but the application records \(head.seq): the whole chain is missing"))
        }
        return report
    }

    static func hash(_ event: HistoryEvent) -> String {
        Encoding.sha256Hex(HistoryEvent.hashInput(
            applicationID: event.applicationID, seq: event.seq, occurredAtMicros: event.occurredAtMicros, actorID: event.actorID,
            actorRole: event.actorRole, machine: event.machine, subjectID: event.subjectID, action: event.action,
            fromState: event.fromState, toState: event.toState, reason: event.reason, payload: event.payload, prevHash: event.prevHash
        ))
    }


    private func stream(application: UUID?, partition: Int = 0, of partitions: Int = 1, _ body: (HistoryEvent) throws -> Void) async throws {
        let rows = try await client.query("""
            SELECT id, application_id, seq, (extract(epoch FROM occurred_at) * 1000000)::bigint, actor_id, actor_role, machine,
                   subject_id, action, from_state, to_state, reason, payload, prev_hash, hash
            FROM history_events
            WHERE (\(application == nil) OR application_id = \(application ?? UUID()))
              AND (\(partitions) = 1 OR (hashtext(application_id::text) & 2147483647) % \(partitions) = \(partition))
            ORDER BY application_id, seq
            """, logger: logger)
        for try await (id, app, seq, micros, actor, role, machine, subject, action, from, to, reason, payload, prev, hash)
            in rows.decode((Int64, UUID, Int, Int64, UUID?, String, String, UUID, String, String?, String, String, String, String, String).self) {
            try body(HistoryEvent(id: id, applicationID: app, seq: seq, occurredAtMicros: micros, actorID: actor, actorRole: role,
                                  machine: machine, subjectID: subject, action: action, fromState: from, toState: to, reason: reason,
                                  payload: payload, prevHash: prev, hash: hash))
        }
    }
}
