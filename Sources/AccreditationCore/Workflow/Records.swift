public import Foundation

/// Who fired a transition or changed a record. The scheduler acts as `system` with no person.
public struct Actor: Sendable, Equatable {
    public let id: UUID?
    public let role: Role

    public init(id: UUID?, role: Role) {
        self.id = id
        self.role = role
    }

    public static let system = Actor(id: nil, role: .system)
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
        input.text(actorRole.utf8)
        input.text(machine.utf8)
        input.uuid(subjectID.uuid)
        input.text(action.utf8)
        if let fromState { input.text(fromState.utf8) } else { input.absent() }
        input.text(toState.utf8)
        input.text(reason.utf8)
        input.text(payload.utf8)
        input.text(prevHash.utf8)
        return input.bytes
    }

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
@frozen
public struct HashInput: Sendable {
    public var bytes: [UInt8]

    @inlinable
    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the input for the next event, keeping its storage.
    @inlinable
    public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    @inlinable
    public mutating func absent() { bytes.append(0x7E) }

    @inlinable
    public mutating func text<Bytes: Collection<UInt8>>(_ utf8: Bytes) {
        prefix(length: utf8.count)
        bytes.append(contentsOf: utf8)
    }

    @inlinable
    public mutating func integer(_ value: Int64) {
        // Formatted in a fixed buffer, then copied in once after its length prefix.
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &buffer) { digits in
            var rest = value.magnitude
            var start = 24
            repeat {
                start -= 1
                digits[start] = 0x30 + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            if value < 0 {
                start -= 1
                digits[start] = 0x2D
            }
            prefix(length: 24 - start)
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: digits[start...]))
        }
    }

    /// A UUID's 16 bytes, in any contiguous form.
    @inlinable
    public mutating func uuid(_ value: uuid_t) {
        withUnsafeBytes(of: value) { uuid(bytes: $0) }
    }

    @inlinable
    public mutating func uuid(bytes raw: UnsafeRawBufferPointer) {
        precondition(raw.count == 16, "a UUID has 16 bytes")
        var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &buffer) { text in
            text[0] = 0x33 // "36:"
            text[1] = 0x36
            text[2] = 0x3A
            var out = 3
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    text[out] = 0x2D
                    out += 1
                }
                let byte = raw[index]
                text[out] = Self.upperHex(byte >> 4)
                text[out + 1] = Self.upperHex(byte & 0x0F)
                out += 2
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[0..<39]))
        }
    }

    @inlinable
    static func upperHex(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x37 + nibble
    }

    /// `<length>:`
    @inlinable
    mutating func prefix(length: Int) {
        if length < 10 {
            bytes.append(0x30 + UInt8(length))
        } else {
            var divisor = 10
            while divisor * 10 <= length { divisor *= 10 }
            var rest = length
            while divisor > 0 {
                bytes.append(0x30 + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        bytes.append(0x3A)
    }
}
