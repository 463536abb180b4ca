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

    /// `parts` spans with about as many applications each, covering every possible id between them.
    static func split(client: PostgresClient, into parts: Int, logger: Logger) async throws -> [ChainSpan] {
        var ids: [UUID] = []
        for try await id in try await client.query("SELECT id FROM applications ORDER BY id", logger: logger).decode(UUID.self) {
            ids.append(id)
        }
        let parts = max(1, min(parts, ids.count))
        let bounds = (1..<parts).map { ids[$0 * ids.count / parts] }
        return (0..<parts).map { ChainSpan(lower: $0 == 0 ? nil : bounds[$0 - 1], upper: $0 == parts - 1 ? nil : bounds[$0]) }
    }

    /// Each application in the span (in no particular order) with the head it records and its whole chain
    /// as one value: its events' binary records (`record_send`) concatenated in sequence order, or null
    /// when it has none. The chain is aggregated from the `(application_id, seq)` index scan, in the
    /// order that scan delivers, so nothing is sorted; should the order ever differ, the check reports a
    /// break rather than passing anything. A row per chain instead of a row per event is what makes
    /// verification fast: reading a row costs far more, on both sides, than reading a value. It bounds a
    /// chain to PostgreSQL's 1 GB per value, about three million events.
    var query: PostgresQuery {
        var binds = PostgresBindings()
        var conditions: [String] = []
        for (value, comparison) in [(only, "="), (lower, ">="), (upper, "<")] {
            guard let value else { continue }
            binds.append(value)
            conditions.append("a.id \(comparison) $\(binds.count)")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return PostgresQuery(unsafeSQL: """
            SELECT a.id, a.history_seq, a.history_hash,
                   (SELECT string_agg(record, ''::bytea) FROM (
                        SELECT record_send(ROW(h.id, h.seq, h.occurred_at, h.actor_id, h.actor_role, h.machine, h.subject_id, h.action,
                                               h.from_state, h.to_state, h.reason, h.payload, h.prev_hash, h.hash)) AS record
                        FROM history_events h WHERE h.application_id = a.id ORDER BY h.seq) chain)
            FROM applications a
            \(filter)
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

    private(set) var report = HistoryChain.Report()
    private var input = HashInput()
    private var applicationField = 0

    // The chain being read.
    private var application = UUID()
    private var head = (seq: 0, hash: StoredHash?.none)
    private var lastEventID: Int64 = 0
    private var lastSeq = 0
    private var lastHash: StoredHash? = .genesis
    private var broken = false

    /// One row of `ChainSpan.query`: an application's whole chain. Its events are records of 14 fields,
    /// the columns of `history_events` but the application id, which the chain's own id stands for.
    mutating func check(application id: UUID, headSeq: Int, headHash: String, events: ByteBuffer?) throws {
        application = id
        head = (headSeq, StoredHash(headHash))
        lastEventID = 0
        lastSeq = 0
        lastHash = .genesis
        broken = false
        report.applications += 1
        input.reset()
        input.uuid(id.uuid)
        applicationField = input.written
        if let events {
            try events.withUnsafeReadableBytes { records in
                var offset = 0
                while offset < records.count {
                    var fields = try RecordFields(records, at: offset, count: 14)
                    report.events += 1
                    if !broken { try check(id, &fields) }
                    offset = try fields.end()
                }
            }
        }
        finishChain()
    }

    /// Checks one event: its place in the sequence, its link to the event before it, and its own hash.
    private mutating func check(_ applicationID: UUID, _ fields: inout RecordFields) throws {
        let id = try fields.int64(.int8)
        let seq = Int(try fields.int32(.int4))
        input.reset(keeping: applicationField) // the application's id, written once per chain
        input.integer(Int64(seq))
        input.integer(try fields.int64(.timestamptz) + Self.postgresEpochMicros)
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
            "follows #\(lastSeq): \(seq - lastSeq - 1) event(s) before it are missing"
        } else if StoredHash(prevHashText) != lastHash || lastHash == nil {
            "does not link to the event before it"
        } else if hash != inputDigest() {
            "does not match its hash: the row was changed"
        } else {
            nil
        }
        if let problem {
            report.breaks.append(HistoryChain.Break(applicationID: applicationID, eventID: id, seq: seq, problem: problem))
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
        guard !broken else { return }
        guard head.seq != lastSeq || head.hash != lastHash || head.hash == nil else { return }
        let missing = head.seq - lastSeq
        let problem = if lastSeq == 0 && missing > 0 {
            "has no events, but the application records \(head.seq): the whole chain is missing"
        } else if missing > 0 {
            "ends the chain at #\(lastSeq), but the application records #\(head.seq): the last \(missing) event(s) are missing"
        } else {
            "ends the chain, but does not match the head the application records"
        }
        report.breaks.append(HistoryChain.Break(applicationID: application, eventID: lastEventID, seq: lastSeq, problem: problem))
    }

}

/// Reads the fields of a record in PostgreSQL's binary format, in order: a field count, then per field its
/// type, its length (-1 for null) and its bytes. Every type and size is checked.
struct RecordFields {
    private let bytes: UnsafeRawBufferPointer
    private var offset: Int
    private var field = 0
    private let count: Int

    /// The record that starts at `start` in `bytes`.
    init(_ bytes: UnsafeRawBufferPointer, at start: Int, count: Int) throws {
        self.bytes = bytes
        self.count = count
        guard start + 4 <= bytes.count, Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: start, as: Int32.self))) == count else {
            throw HistoryChain.UnexpectedRow(column: 0)
        }
        offset = start + 4
    }

    /// Skips the fields not read yet and answers where the next record starts.
    mutating func end() throws -> Int {
        while field < count {
            let type = offset + 4 <= bytes.count ? UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) : 0
            _ = try optional(PostgresDataType(type))
        }
        return offset
    }

    mutating func optional(_ type: PostgresDataType, size: Int? = nil) throws -> UnsafeRawBufferPointer? {
        defer { field += 1 }
        guard field < count, offset + 8 <= bytes.count,
              UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) == type.rawValue else {
            throw HistoryChain.UnexpectedRow(column: field)
        }
        let length = Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: Int32.self)))
        offset += 8
        if length == -1 { return nil }
        guard length >= 0, offset + length <= bytes.count, size == nil || size == length else {
            throw HistoryChain.UnexpectedRow(column: field)
        }
        defer { offset += length }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
    }

    mutating func required(_ type: PostgresDataType, size: Int? = nil) throws -> UnsafeRawBufferPointer {
        guard let bytes = try optional(type, size: size) else { throw HistoryChain.UnexpectedRow(column: field - 1) }
        return bytes
    }

    mutating func int64(_ type: PostgresDataType) throws -> Int64 {
        Int64(bigEndian: try required(type, size: 8).loadUnaligned(as: Int64.self))
    }

    mutating func int32(_ type: PostgresDataType) throws -> Int32 {
        Int32(bigEndian: try required(type, size: 4).loadUnaligned(as: Int32.self))
    }
}

extension HistoryChain {
    /// A history row in a shape verification does not expect: a schema it was not written for.
    struct UnexpectedRow: Error, CustomStringConvertible {
        let column: Int
        var description: String { "history could not be read: unexpected value in field \(column + 1) (its type, size or a null)" }
    }
}
