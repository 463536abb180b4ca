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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + reason.utf8.count + payload.utf8.count)
        for field in [applicationID.uuidString, String(seq), String(occurredAtMicros), actorID?.uuidString, actorRole,
                      machine, subjectID.uuidString, action, fromState, toState, reason, payload, prevHash] {
            guard let field else {
                bytes.append(0x7E) // "~": absent, distinct from every "<length>:<text>"
                continue
            }
            bytes.append(contentsOf: String(field.utf8.count).utf8)
            bytes.append(0x3A)
            bytes.append(contentsOf: field.utf8)
        }
        return bytes
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
