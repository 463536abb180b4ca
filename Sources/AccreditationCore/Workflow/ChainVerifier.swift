public import Foundation

/// The hash-chain rules of one application's history, written plainly over `HistoryEvent` values: the
/// reference that the fast bulk reader of `Persistence` (which checks PostgreSQL's binary records without
/// building events) must agree with, and the check used for a single application.
///
/// **The rules**, applied to the events in order of `seq` (ties, which the schema forbids, by `id`):
/// 1. the first event has seq 1 and each next one the seq after it; otherwise the event is reported as
///    `follows #N: K event(s) before it are missing` (N the seq before it, 0 at the start; K is negative
///    when a seq repeats or is below 1);
/// 2. its `prevHash` is the `hash` of the event before it (`HistoryEvent.genesisHash` for the first);
///    otherwise `does not link to the event before it`;
/// 3. its `hash` is the SHA-256, in lower-case hex, of `HistoryEvent.hashInput` of its fields, with the
///    application's id (not the event's `applicationID`) as the first field; otherwise
///    `does not match its hash: the row was changed`.
///
/// An event is tested against 1, 2, 3 in that order and the first failing rule is its problem. The first
/// event with a problem is the break; nothing after it is checked. When no event breaks, the last event
/// (or the empty chain: seq 0, the genesis hash) must be the head the application records:
/// - `has no events, but the application records N: the whole chain is missing` (no events, head N > 0);
/// - `ends the chain at #L, but the application records #N: the last K event(s) are missing` (head beyond);
/// - `ends the chain, but does not match the head the application records` (any other difference).
/// These name the last event (event id 0 and seq 0 when there is none). With no application at all
/// (`head` nil) and events, the break is `has K event(s), but the application itself is missing`, at the
/// lowest event id with seq 0. Hashes are compared byte for byte, as stored.
///
/// **Why the hash is a parameter.** `AccreditationCore` has no dependencies and no SHA-256 of its own;
/// the hashes are written by `Persistence` with swift-crypto. Rather than a second SHA-256 here, the caller
/// passes the one that writes the hashes, so the verifier stays pure and there is one hash.
public enum ChainVerifier {
    /// The chain head an application records: the seq and hash of its last event (0 and the genesis hash
    /// before any).
    public struct Head: Sendable, Equatable {
        public let seq: Int
        public let hash: String

        public init(seq: Int, hash: String) {
            self.seq = seq
            self.hash = hash
        }
    }

    /// The first break of a chain: the event it is found at (id 0 when the chain has none), its seq (0 for
    /// a missing application) and what is wrong, in the words `apex audit verify` prints.
    public struct Break: Sendable, Equatable {
        public let eventID: Int64
        public let seq: Int
        public let problem: String

        public init(eventID: Int64, seq: Int, problem: String) {
            self.eventID = eventID
            self.seq = seq
            self.problem = problem
        }
    }

    /// The first break of `application`'s chain, or nil when it is intact (or when there is neither an
    /// application nor any event: nothing to check).
    ///
    /// - Parameters:
    ///   - head: what the application records; nil when the application itself is missing.
    ///   - events: the events stored for the application, in any order.
    ///   - timesOutOfRange: ids of events whose stored time has no value in microseconds since 1970 that
    ///     fits 64 bits (PostgreSQL keeps later times than that), so their `occurredAtMicros` is only a
    ///     placeholder. No event was ever written with such a time: these never match their hash.
    ///   - sha256Hex: SHA-256 as 64 lower-case hex digits, the function that writes the stored hashes.
    public static func firstBreak(application: UUID, head: Head?, events: [HistoryEvent], timesOutOfRange: Set<Int64> = [],
                                  sha256Hex: ([UInt8]) -> String) -> Break? {
        guard let head else {
            guard let first = events.map(\.id).min() else { return nil }
            return Break(eventID: first, seq: 0, problem: Problem.applicationMissing(events: events.count))
        }
        var last = (id: Int64(0), seq: 0, hash: HistoryEvent.genesisHash)
        for event in events.sorted(by: { ($0.seq, $0.id) < ($1.seq, $1.id) }) {
            let problem: String? = if event.seq != last.seq + 1 {
                Problem.gap(after: last.seq, at: event.seq)
            } else if !same(event.prevHash, last.hash) {
                Problem.unlinked
            } else if timesOutOfRange.contains(event.id) || !same(event.hash, sha256Hex(hashInput(of: event, in: application))) {
                Problem.changed
            } else {
                nil
            }
            if let problem { return Break(eventID: event.id, seq: event.seq, problem: problem) }
            last = (event.id, event.seq, event.hash)
        }
        // The head is written with every event: it is what shows events deleted from the end, or all of them.
        guard head.seq != last.seq || !same(head.hash, last.hash) else { return nil }
        return Break(eventID: last.id, seq: last.seq, problem: Problem.headMismatch(lastSeq: last.seq, headSeq: head.seq))
    }

    /// The words of each break, shared with the fast bulk reader so the two cannot drift apart.
    public enum Problem {
        /// Rule 1: `seq` does not follow `after` (K < 0 when a seq repeats or is below 1).
        public static func gap(after lastSeq: Int, at seq: Int) -> String {
            "follows #\(lastSeq): \(seq - lastSeq - 1) event(s) before it are missing"
        }

        /// Rule 2.
        public static let unlinked = "does not link to the event before it"
        /// Rule 3.
        public static let changed = "does not match its hash: the row was changed"

        /// The chain ends at `lastSeq` (0: no events) but the application's head is not its last event.
        public static func headMismatch(lastSeq: Int, headSeq: Int) -> String {
            let missing = headSeq - lastSeq
            if lastSeq == 0 && missing > 0 { return "has no events, but the application records \(headSeq): the whole chain is missing" }
            if missing > 0 {
                return "ends the chain at #\(lastSeq), but the application records #\(headSeq): the last \(missing) event(s) are missing"
            }
            return "ends the chain, but does not match the head the application records"
        }

        /// Events of an application whose row is gone.
        public static func applicationMissing(events count: Int) -> String {
            "has \(count) event(s), but the application itself is missing"
        }
    }

    /// The event's hash input as the chain of `application` covers it.
    static func hashInput(of event: HistoryEvent, in application: UUID) -> [UInt8] {
        HistoryEvent.hashInput(applicationID: application, seq: event.seq, occurredAtMicros: event.occurredAtMicros, actorID: event.actorID,
                               actorRole: event.actorRole, machine: event.machine, subjectID: event.subjectID, action: event.action,
                               fromState: event.fromState, toState: event.toState, reason: event.reason, payload: event.payload,
                               prevHash: event.prevHash)
    }

    /// Byte equality: `String`'s `==` treats canonically equivalent texts as equal, a stored hash must not.
    static func same(_ stored: String, _ expected: String) -> Bool {
        stored.utf8.elementsEqual(expected.utf8)
    }
}
