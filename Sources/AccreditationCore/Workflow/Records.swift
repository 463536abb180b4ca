public import Foundation

/// Who fired a transition or changed a record. The scheduler acts as `system` with no person.
public struct WorkflowActor: Sendable, Equatable {
    public let id: UUID?
    public let role: Role

    public init(id: UUID?, role: Role) {
        self.id = id
        self.role = role
    }

    public static let system = WorkflowActor(id: nil, role: .system)
}

/// One entry of an application's append-only history.
public struct HistoryEvent: Sendable, Equatable {
    public let id: Int64
    public let applicationID: UUID
    public let seq: Int
    /// Microseconds since 1970, the exact value the hash covers.
    public let occurredAtMicros: Int64
    public let actorID: UUID?
    public let actorRole: String
    public let machine: String
    public let subjectID: UUID
    public let action: String
    public let fromState: String?
    public let toState: String
    public let reason: String
    /// Canonical JSON (sorted keys) of the transition's payload.
    public let payload: String
    public let prevHash: String
    public let hash: String

    public init(id: Int64, applicationID: UUID, seq: Int, occurredAtMicros: Int64, actorID: UUID?, actorRole: String,
                machine: String, subjectID: UUID, action: String, fromState: String?, toState: String, reason: String,
                payload: String, prevHash: String, hash: String) {
        self.id = id
        self.applicationID = applicationID
        self.seq = seq
        self.occurredAtMicros = occurredAtMicros
        self.actorID = actorID
        self.actorRole = actorRole
        self.machine = machine
        self.subjectID = subjectID
        self.action = action
        self.fromState = fromState
        self.toState = toState
        self.reason = reason
        self.payload = payload
        self.prevHash = prevHash
        self.hash = hash
    }

    public var occurredAt: Date { Date(timeIntervalSince1970: Double(occurredAtMicros) / 1_000_000) }

    /// The bytes the hash covers: every field, length-prefixed so no two events can share an encoding,
    /// followed by the previous event's hash.
    public static func hashInput(applicationID: UUID, seq: Int, occurredAtMicros: Int64, actorID: UUID?, actorRole: String,
                                 machine: String, subjectID: UUID, action: String, fromState: String?, toState: String,
                                 reason: String, payload: String, prevHash: String) -> [UInt8] {
        var input = HashInput()
        input.uuid(applicationID.uuid)
        input.integer(Int64(seq))
        input.integer(occurredAtMicros)
        if let actorID { input.uuid(actorID.uuid) } else { input.absent() }
        input.text(actorRole)
        input.text(machine)
        input.uuid(subjectID.uuid)
        input.text(action)
        if let fromState { input.text(fromState) } else { input.absent() }
        input.text(toState)
        input.text(reason)
        input.text(payload)
        input.text(prevHash)
        return input.bytes
    }

    /// The most UTF-8 bytes an event's reason and payload may hold together. It keeps every event, and
    /// so every chunk of a chain that verification reads at once, of a bounded size.
    public static let maximumTextBytes = 64 * 1024

    /// The first event of every chain links to this.
    public static let genesisHash = String(repeating: "0", count: 64)
}

/// What a practice declares about itself; the scope drives applicability.
public struct PracticeRecord: Sendable, Equatable {
    public var legalName: String
    public var address: String
    public var licenceNumber: String
    /// `US-NRC` or an Agreement State (`US-NC`).
    public var regulator: String
    public var scope: PracticeScope

    public init(legalName: String, address: String, licenceNumber: String, regulator: String, scope: PracticeScope) {
        self.legalName = legalName
        self.address = address
        self.licenceNumber = licenceNumber
        self.regulator = regulator
        self.scope = scope
    }
}

public struct FacilityRecord: Sendable, Equatable {
    public var name: String
    public var address: String
    public var isMain: Bool
    public var distanceMiles: Double

    public init(name: String, address: String, isMain: Bool, distanceMiles: Double) {
        self.name = name
        self.address = address
        self.isMain = isMain
        self.distanceMiles = distanceMiles
    }
}

public enum VisitMode: String, Sendable, Codable, CaseIterable {
    case onSite = "on-site"
    case virtual
}

public struct EvidenceMetadata: Sendable, Equatable {
    public var title: String
    public var kind: EvidenceKind
    /// The date the document speaks for, separate from when it was uploaded.
    public var asOf: String
    public var sha256: String
    public var byteCount: Int64
    public var mediaType: String
    public var fileName: String

    public init(title: String, kind: EvidenceKind, asOf: String, sha256: String, byteCount: Int64, mediaType: String, fileName: String) {
        self.title = title
        self.kind = kind
        self.asOf = asOf
        self.sha256 = sha256
        self.byteCount = byteCount
        self.mediaType = mediaType
        self.fileName = fileName
    }
}

/// Writes an event's hash input field by field: each present field as `<byte length>:<UTF-8 text>`, an
/// absent one as `~`. UUIDs are written as `UUID.uuidString` writes them (upper-case), numbers in decimal.
/// Verification feeds it the stored bytes directly, so both sides share this one definition of the format.
/// It writes into storage it keeps between events, which verification reuses for a million of them.
@frozen
public struct HashInput: Sendable {
    @usableFromInline var storage: [UInt8]
    @usableFromInline var count = 0

    @inlinable
    public init(capacity: Int = 512) {
        storage = [UInt8](repeating: 0, count: capacity)
    }

    /// The bytes written so far.
    public var bytes: [UInt8] { Array(storage[..<count]) }

    @inlinable
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }

    /// How many bytes are written.
    public var written: Int { count }

    /// Forgets what was written after the first `kept` bytes (all by default), keeping the storage:
    /// events of one chain share their first field.
    @inlinable
    public mutating func reset(keeping kept: Int = 0) { count = min(kept, count) }

    @inlinable
    public mutating func absent() {
        write(atMost: 1) { out in
            out[0] = 0x7E
            return 1
        }
    }

    @inlinable
    public mutating func text(_ utf8: UnsafeRawBufferPointer) {
        write(atMost: 21 + utf8.count) { out in
            let at = Self.prefix(length: utf8.count, into: out)
            if let source = utf8.baseAddress, !utf8.isEmpty {
                (out.baseAddress! + at).copyMemory(from: source, byteCount: utf8.count)
            }
            return at + utf8.count
        }
    }

    @inlinable
    public mutating func text(_ string: String) {
        var string = string
        string.withUTF8 { text(UnsafeRawBufferPointer($0)) }
    }

    @inlinable
    public mutating func integer(_ value: Int64) {
        write(atMost: 24) { out in
            let digits = Self.decimalLength(value.magnitude) + (value < 0 ? 1 : 0)
            var at = Self.prefix(length: digits, into: out)
            if value < 0 {
                out[at] = 0x2D
                at += 1
            }
            return Self.decimal(value.magnitude, into: out, at: at)
        }
    }

    @inlinable
    public mutating func uuid(_ value: uuid_t) {
        Swift.withUnsafeBytes(of: value) { uuid(bytes: $0) }
    }

    /// A UUID's 16 bytes.
    @inlinable
    public mutating func uuid(bytes raw: UnsafeRawBufferPointer) {
        precondition(raw.count == 16, "a UUID has 16 bytes")
        write(atMost: 39) { out in
            out[0] = 0x33 // "36:"
            out[1] = 0x36
            out[2] = 0x3A
            var at = 3
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[at] = 0x2D
                    at += 1
                }
                let byte = raw[index]
                out[at] = Self.upperHex(byte >> 4)
                out[at + 1] = Self.upperHex(byte & 0x0F)
                at += 2
            }
            return at
        }
    }

    /// Runs `body` on at least `maximum` free bytes after those written; it answers how many it wrote.
    @inlinable
    mutating func write(atMost maximum: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int) {
        if storage.count - count < maximum {
            storage.append(contentsOf: repeatElement(0, count: max(maximum, storage.count)))
        }
        let start = count
        count += storage.withUnsafeMutableBytes { body(UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
    }

    @inlinable
    static func upperHex(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x37 + nibble
    }

    @inlinable
    static func decimalLength(_ value: UInt64) -> Int {
        var length = 1
        var bound: UInt64 = 10
        while value >= bound {
            length += 1
            if length == 20 { break }
            bound &*= 10
        }
        return length
    }

    /// Writes `value` in decimal at `at`; answers the offset after it.
    @inlinable
    static func decimal(_ value: UInt64, into out: UnsafeMutableRawBufferPointer, at: Int) -> Int {
        let end = at + decimalLength(value)
        var rest = value
        var index = end
        repeat {
            index -= 1
            out[index] = 0x30 + UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        } while rest > 0
        return end
    }

    /// `<length>:` at the start of `out`; answers the offset after it.
    @inlinable
    static func prefix(length: Int, into out: UnsafeMutableRawBufferPointer) -> Int {
        let at = decimal(UInt64(length), into: out, at: 0)
        out[at] = 0x3A
        return at + 1
    }
}
