public import AccreditationCore
public import Foundation
public import NIOCore
public import Persistence

/// What describes an uploaded document, checked once for the API's query parameters and the portal's
/// form fields alike.
public struct EvidenceUploadInput: Sendable, Equatable {
    public let title: String
    public let kind: EvidenceKind
    public let asOf: CalendarDate
    public let indicators: [String]
    /// Sanitized (`EvidenceFileName.sanitize`): no folders, no control characters, a kept extension.
    public let fileName: String
    public let supersedes: UUID?

    /// Throws `FieldError` naming the first field that is missing or malformed: `title` (1–300 code
    /// points), `kind` (an evidence kind), `as_of` (YYYY-MM-DD), `indicators` (1–200 codes such as
    /// GOV-01), `supersedes` (a document id).
    public static func checked(title: String, kind: String, asOf: String, indicators: [String], fileName: String,
                               supersedes: String?) throws(FieldError) -> EvidenceUploadInput {
        let title = try BoundedText(title, field: "title", max: BoundedText.Limit.title)
        guard let kind = EvidenceKind(rawValue: kind) else {
            throw FieldError(field: "kind", message: "Choose the kind of document.")
        }
        guard let date = CalendarDate(asOf) else {
            throw FieldError(field: "as_of", message: "as_of is a calendar date, YYYY-MM-DD (years 0001 to 9999).")
        }
        let codes = indicators.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard (1...200).contains(codes.count) else {
            throw FieldError(field: "indicators", message: "Choose at least one indicator the document is evidence for (at most 200).")
        }
        for code in codes { _ = try IndicatorCode(code, field: "indicators") }
        var previous: UUID?
        if let supersedes, !supersedes.isEmpty {
            guard let id = UUID(uuidString: supersedes) else { throw FieldError(field: "supersedes", message: "supersedes is a document id.") }
            previous = id
        }
        return EvidenceUploadInput(title: title.value, kind: kind, asOf: date, indicators: codes,
                                   fileName: EvidenceFileName.sanitize(fileName), supersedes: previous)
    }
}

/// Adding evidence: the refusals that need no bytes first, then the bytes streamed to durable storage,
/// then the record. Shared by the API's upload and the portal's form upload.
public struct EvidenceUploads: Sendable {
    public let workspace: Workspace
    public let storage: any EvidenceStorage
    /// Largest upload accepted, in bytes (enforced while streaming).
    public let maxBytes: Int64

    public init(workspace: Workspace, storage: any EvidenceStorage, maxBytes: Int64) {
        self.workspace = workspace
        self.storage = storage
        self.maxBytes = maxBytes
    }

    /// Whether the upload would be recorded, asked before reading any byte: visibility (else
    /// `WorkflowError.notFound`), the record-action table, the indicators and the document replaced.
    public func check(_ input: EvidenceUploadInput, application id: UUID, as identity: Identity) async throws {
        _ = try await workspace.visibleApplication(id, as: identity)
        try await workspace.workflow.checkEvidenceAllowed(application: id, indicators: input.indicators, actor: identity.actor,
                                                          supersedes: input.supersedes)
    }

    /// Streams `chunks` to storage (throws `StorageError` or `ActiveContentError` for what the storage
    /// refuses; nothing is kept then), returning the durable file.
    public func store(_ chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) async throws -> StoredFile {
        try await storage.store(chunks, limit: maxBytes)
    }

    /// Records a stored file as a document of the application. Returns its id.
    public func record(_ input: EvidenceUploadInput, file: StoredFile, application id: UUID, as identity: Identity) async throws -> UUID {
        let metadata = EvidenceMetadata(title: input.title, kind: input.kind, asOf: input.asOf.description, sha256: file.sha256,
                                        byteCount: file.byteCount, mediaType: file.type.mediaType, fileName: input.fileName)
        return try await workspace.workflow.addEvidence(application: id, metadata, indicators: input.indicators, actor: identity.actor,
                                                        supersedes: input.supersedes)
    }
}
