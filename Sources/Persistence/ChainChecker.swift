import AccreditationCore
import Crypto
import Foundation
import NIOCore
import PostgresNIO

/// Which chains one verification pass reads: one application's, or those of the applications whose ids
/// lie in `lower ..< upper` (an open end when nil), in PostgreSQL's uuid order.
struct ChainSpan: Sendable, Equatable {
    var only: UUID?
    var lower: UUID?
    var upper: UUID?
    var chunk = HistoryChain.defaultEventsPerRow

    /// `parts` spans with about as many applications each, covering every possible id between them.
    static func split(client: PostgresClient, into parts: Int, chunk: Int, logger: Logger) async throws -> [ChainSpan] {
        var ids: [UUID] = []
        for try await id in try await client.query("SELECT id FROM applications ORDER BY id", logger: logger).decode(UUID.self) {
            ids.append(id)
        }
        let parts = max(1, min(parts, ids.count))
        let bounds = (1..<parts).map { ids[$0 * ids.count / parts] }
        return (0..<parts).map { ChainSpan(lower: $0 == 0 ? nil : bounds[$0 - 1], upper: $0 == parts - 1 ? nil : bounds[$0], chunk: chunk) }
    }

    /// Each application in the span with the head it records, once per chunk of `chunk` sequence
    /// numbers (from the lowest stored, or 1, to the highest stored, or its head), in order of application
    /// and chunk. Each row's events are their binary records (`record_send`) concatenated in sequence
    /// order, or null when the chunk has none. The rows are ordered while still small; each chunk is
    /// aggregated afterwards from a subquery ordered by seq, which PostgreSQL feeds to the aggregate in
    /// that order (an `ORDER BY` inside the aggregate would sort every chunk again, 8 % of the time).
    /// Were the order ever different, the check would report a break, never pass a chain.
    var query: PostgresQuery {
        var binds = PostgresBindings()
        var conditions: [String] = []
        for (value, comparison) in [(only, "="), (lower, ">="), (upper, "<")] {
            guard let value else { continue }
            binds.append(value)
            conditions.append("a.id \(comparison) $\(binds.count)")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let chunk = max(1, chunk)
        return PostgresQuery(unsafeSQL: """
            SELECT c.id, c.history_seq, c.history_hash,
                   (SELECT string_agg(record, ''::bytea) FROM (
                        SELECT record_send(ROW(h.id, h.seq, h.occurred_at, h.actor_id, h.actor_role, h.machine, h.subject_id,
                                               h.action, h.from_state, h.to_state, h.reason, h.payload, h.prev_hash, h.hash)) AS record
                        FROM history_events h
                        WHERE h.application_id = c.id AND h.seq BETWEEN c.first AND c.last ORDER BY h.seq) piece)
            FROM (
                -- Counted in bigint, compared in integer (as seq is): no piece overflows at the top of the range.
                SELECT a.id, a.history_seq, a.history_hash, first::integer AS first,
                       least(first + \(chunk) - 1, 2147483647)::integer AS last
                FROM applications a
                CROSS JOIN LATERAL (
                    SELECT least(1, min(seq))::bigint AS low, greatest(a.history_seq, max(seq))::bigint AS high
                    FROM history_events WHERE application_id = a.id) stored
                CROSS JOIN LATERAL generate_series(stored.low, greatest(stored.low, stored.high), \(chunk)::bigint) AS first
                \(filter)
                ORDER BY a.id, 4
            ) c
            ORDER BY c.id, c.first
            """, binds: binds)
    }

    /// Events whose application row is gone (or that name none): their count and first event, by
    /// application. The distinct application ids of the history are walked through its index, one probe
    /// per application, rather than by reading every event again.
    var orphans: PostgresQuery {
        var binds = PostgresBindings()
        var ids = """
            WITH RECURSIVE ids(id) AS (
                (SELECT application_id FROM history_events WHERE application_id IS NOT NULL ORDER BY application_id LIMIT 1)
                UNION ALL
                SELECT (SELECT h.application_id FROM history_events h WHERE h.application_id > ids.id ORDER BY h.application_id LIMIT 1)
                FROM ids WHERE ids.id IS NOT NULL
            )
            SELECT id FROM ids
            """
        var unnamed = """
            UNION ALL
            SELECT NULL, count(*)::int, min(id) FROM history_events WHERE application_id IS NULL HAVING count(*) > 0
            """
        if let only {
            binds.append(only)
            ids = "SELECT $1::uuid AS id"
            unnamed = ""
        }
        return PostgresQuery(unsafeSQL: """
            SELECT o.id,
                   (SELECT count(*)::int FROM history_events h WHERE h.application_id = o.id),
                   (SELECT min(h.id) FROM history_events h WHERE h.application_id = o.id)
            FROM (\(ids)) o
            WHERE o.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.id = o.id)
              AND EXISTS (SELECT 1 FROM history_events h WHERE h.application_id = o.id)
            \(unnamed)
            """, binds: binds)
    }
}

/// A SHA-256 as stored: 64 lower-case hex digits, held inline so comparing and keeping one costs no
/// allocation. (Eight plain words, not a SIMD vector: an over-aligned value in an async frame was
/// written past the frame's end.)
struct StoredHash: Equatable {
    private var w0, w1, w2, w3, w4, w5, w6, w7: UInt64

    init?(_ text: UnsafeRawBufferPointer) {
        guard text.count == 64 else { return nil }
        func word(_ index: Int) -> UInt64 { text.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) }
        (w0, w1, w2, w3, w4, w5, w6, w7) = (word(0), word(1), word(2), word(3), word(4), word(5), word(6), word(7))
    }

    init?(_ text: String) {
        guard let hash = Array(text.utf8).withUnsafeBytes({ StoredHash($0) }) else { return nil }
        self = hash
    }

    /// The hex text of a digest.
    init(digest: SHA256.Digest) {
        var hex: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        self = withUnsafeMutableBytes(of: &hex) { text in
            digest.withUnsafeBytes { raw in
                for (index, byte) in raw.enumerated() {
                    text[2 * index] = Self.lowerHex(byte >> 4)
                    text[2 * index + 1] = Self.lowerHex(byte & 0x0F)
                }
            }
            return StoredHash(UnsafeRawBufferPointer(text))!
        }
    }

    static let genesis = StoredHash(HistoryEvent.genesisHash)!
    private static func lowerHex(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x57 + nibble
    }
}

/// Checks the chains of one span as PostgreSQL sends them: application after application, each chain's
/// events in order. Fields are read in PostgreSQL's binary format and written straight into the hash
/// input, building no strings or events, so that reading the rows, not checking them, sets the pace.
struct ChainChecker {
    /// Binary timestamps count microseconds from 2000-01-01; the hash input counts them from 1970.
    static let postgresEpochMicros: Int64 = 946_684_800_000_000

    private var report = HistoryChain.Report()
    private var input = HashInput()
    private var applicationField = 0

    // The chain being read.
    private var application: UUID?
    private var head = (seq: 0, hash: StoredHash?.none)
    private var lastEventID: Int64 = 0
    private var lastSeq = 0
    private var lastHash: StoredHash? = .genesis
    private var broken = false

    /// One row of `ChainSpan.query`: a chunk of an application's chain, in order. Its events are records
    /// of 14 fields, the columns of `history_events` but the application id, which the chain's own id
    /// stands for.
    mutating func check(application id: UUID, headSeq: Int, headHash: String, events: ByteBuffer?) throws {
        if id != application {
            finishChain()
            start(id, head: (headSeq, StoredHash(headHash)))
        }
        guard let events else { return }
        try events.withUnsafeReadableBytes { records in
            var offset = 0
            while offset < records.count {
                var fields = try RecordFields(records, at: offset, application: id)
                report.events += 1
                if !broken { try check(&fields) }
                offset = try fields.end()
            }
        }
    }

    /// Ends the last chain and answers the report.
    mutating func finish() -> HistoryChain.Report {
        finishChain()
        application = nil
        return report
    }

    private mutating func start(_ id: UUID, head: (seq: Int, hash: StoredHash?)) {
        application = id
        self.head = head
        lastEventID = 0
        lastSeq = 0
        lastHash = .genesis
        broken = false
        report.applications += 1
        input.reset()
        input.uuid(id.uuid)
        applicationField = input.written
    }

    /// Checks one event: its place in the sequence, its link to the event before it, and its own hash.
    private mutating func check(_ fields: inout RecordFields) throws {
        let id = try fields.int64(.int8)
        let seq = Int(try fields.int32(.int4))
        input.reset(keeping: applicationField) // the application's id, written once per chain
        input.integer(Int64(seq))
        // A time no event can have been written with (such as infinity) overflows here: the row was changed.
        let (occurredAt, outOfRange) = try fields.int64(.timestamptz).addingReportingOverflow(Self.postgresEpochMicros)
        input.integer(occurredAt)
        if let actor = try fields.optional(.uuid, size: 16) { input.uuid(bytes: actor) } else { input.absent() }
        input.text(try fields.required(.text)) // actor_role
        input.text(try fields.required(.text)) // machine
        input.uuid(bytes: try fields.required(.uuid, size: 16)) // subject_id
        input.text(try fields.required(.text)) // action
        if let from = try fields.optional(.text) { input.text(from) } else { input.absent() }
        input.text(try fields.required(.text)) // to_state
        input.text(try fields.required(.text)) // reason
        input.text(try fields.required(.text)) // payload
        let prevHashText = try fields.required(.text)
        input.text(prevHashText)
        let hash = StoredHash(try fields.required(.text))

        let problem: String? = if seq != lastSeq + 1 {
            ChainVerifier.Problem.gap(after: lastSeq, at: seq)
        } else if StoredHash(prevHashText) != lastHash {
            ChainVerifier.Problem.unlinked
        } else if outOfRange || hash != inputDigest() {
            ChainVerifier.Problem.changed
        } else {
            nil
        }
        if let problem {
            report.breaks.append(HistoryChain.Break(applicationID: application ?? HistoryChain.noApplication, eventID: id, seq: seq, problem: problem))
            broken = true
        }
        lastEventID = id
        lastSeq = seq
        lastHash = hash
    }

    private func inputDigest() -> StoredHash {
        input.withUnsafeBytes { bytes in
            var hasher = SHA256()
            hasher.update(bufferPointer: bytes)
            return StoredHash(digest: hasher.finalize())
        }
    }

    /// Compares the end of the chain just read with the head its application records, which is written
    /// with every event: events deleted from the end of a chain, or a whole chain, show here.
    private mutating func finishChain() {
        guard let application, !broken else { return }
        guard head.seq != lastSeq || head.hash != lastHash || head.hash == nil else { return }
        report.breaks.append(HistoryChain.Break(applicationID: application, eventID: lastEventID, seq: lastSeq,
                                                problem: ChainVerifier.Problem.headMismatch(lastSeq: lastSeq, headSeq: head.seq)))
    }

}

/// Reads the fields of one event's record in PostgreSQL's binary format, in order: a field count, then
/// per field its type, its length (-1 for null) and its bytes. Every type and size is checked before
/// anything is read.
struct RecordFields {
    /// The record's fields, in the order of `ChainSpan.query`.
    static let columns = ["id", "seq", "occurred_at", "actor_id", "actor_role", "machine", "subject_id", "action", "from_state",
                          "to_state", "reason", "payload", "prev_hash", "hash"]

    private let bytes: UnsafeRawBufferPointer
    private let application: UUID
    private var offset: Int
    private var field = 0

    /// The record that starts at `start` in `bytes`.
    init(_ bytes: UnsafeRawBufferPointer, at start: Int, application: UUID) throws {
        self.bytes = bytes
        self.application = application
        guard start + 4 <= bytes.count,
              Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: start, as: Int32.self))) == Self.columns.count else {
            throw HistoryChain.UnreadableHistory(application: application, column: nil)
        }
        offset = start + 4
    }

    /// Skips the fields not read yet and answers where the next record starts.
    mutating func end() throws -> Int {
        while field < Self.columns.count {
            _ = try take(nil, size: nil)
        }
        return offset
    }

    mutating func optional(_ type: PostgresDataType, size: Int? = nil) throws -> UnsafeRawBufferPointer? {
        try take(type, size: size)
    }

    mutating func required(_ type: PostgresDataType, size: Int? = nil) throws -> UnsafeRawBufferPointer {
        guard let bytes = try take(type, size: size) else { throw unreadable(field - 1) }
        return bytes
    }

    mutating func int64(_ type: PostgresDataType) throws -> Int64 {
        Int64(bigEndian: try required(type, size: 8).loadUnaligned(as: Int64.self))
    }

    mutating func int32(_ type: PostgresDataType) throws -> Int32 {
        Int32(bigEndian: try required(type, size: 4).loadUnaligned(as: Int32.self))
    }

    /// The next field, checked to be of `type` (any when nil) and `size` bytes (any when nil).
    private mutating func take(_ type: PostgresDataType?, size: Int?) throws -> UnsafeRawBufferPointer? {
        defer { field += 1 }
        guard field < Self.columns.count, offset + 8 <= bytes.count,
              type.map({ UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) == $0.rawValue }) ?? true else {
            throw unreadable(field)
        }
        let length = Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: Int32.self)))
        offset += 8
        if length == -1 { return nil }
        guard length >= 0, offset + length <= bytes.count, size == nil || size == length else { throw unreadable(field) }
        defer { offset += length }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
    }

    private func unreadable(_ field: Int) -> HistoryChain.UnreadableHistory {
        HistoryChain.UnreadableHistory(application: application, column: field < Self.columns.count ? Self.columns[field] : nil)
    }
}

extension HistoryChain {
    /// History in a shape verification was not written for (a column of another type, a null where the
    /// schema has none): the check stops rather than pass what it cannot read.
    struct UnreadableHistory: Error, CustomStringConvertible {
        let application: UUID
        /// The column, when one is to blame; nil when the record itself has another shape.
        let column: String?
        var description: String {
            "the history of application \(application) could not be read: "
                + (column.map { "column \($0) has an unexpected type, size or null" } ?? "its events have an unexpected shape")
        }
    }
}
