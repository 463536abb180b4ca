import AccreditationCore
import APIDefinition
import Foundation
import Logging
import NIOCore
import OpenAPIRuntime
import Persistence
import UseCases

extension APIHandler {
    func listEvidence(_ input: Operations.ListEvidence.Input) async throws -> Operations.ListEvidence.Output {
        let (id, _) = try await visibleApplication(input.path.applicationId)
        return .ok(.init(body: .json(.init(items: try await workflow.evidence(application: id).map(Components.Schemas.EvidenceDocument.init)))))
    }

    func getEvidence(_ input: Operations.GetEvidence.Input) async throws -> Operations.GetEvidence.Output {
        .ok(.init(body: .json(.init(try await visibleDocument(input.path.applicationId, input.path.documentId)))))
    }

    /// Streams the body to storage (never whole in memory), then records the document. The database row
    /// is written only once the file is durable; a file whose row never commits is swept later.
    func uploadEvidence(_ input: Operations.UploadEvidence.Input) async throws -> Operations.UploadEvidence.Output {
        let (id, identity) = try await visibleApplication(input.path.applicationId)
        guard case let .binary(body) = input.body else { throw Problem.unsupportedMediaType }
        if case let .known(length) = body.length, length > maxUploadBytes { throw Problem.uploadTooLarge(limit: maxUploadBytes) }
        let query = input.query
        try Self.atMost(query.title, 300, "title")
        try Self.atMost(query.indicators, 2000, "indicators")
        try Self.atMost(query.fileName, EvidenceFileName.maxInputLength, "file_name")
        // The same rules as the portal's form (one place: `EvidenceUploadInput.checked`).
        let upload: EvidenceUploadInput
        do {
            upload = try EvidenceUploadInput.checked(title: query.title, kind: query.kind.rawValue, asOf: query.asOf,
                                                     indicators: query.indicators.split(separator: ",").map(String.init),
                                                     fileName: query.fileName ?? "", supersedes: query.supersedes)
        } catch {
            throw Problem.badRequest(error.message, field: error.field)
        }
        let (title, kind, indicators, supersedes, fileName) = (upload.title, upload.kind, upload.indicators, upload.supersedes, upload.fileName)
        let request = Self.fingerprint("evidence", id, title, kind.rawValue, query.asOf, indicators.joined(separator: ","), fileName,
                                       supersedes?.uuidString ?? "")
        let chunks = body.map { ByteBuffer(bytes: $0) }
        // Refuse before reading the body when the upload could not be recorded anyway.
        try await Self.domain { try await uploads.check(upload, application: id, as: identity) }

        let key = input.headers.idempotencyKey
        if let key {
            guard (1...200).contains(key.count) else { throw Problem.badRequest("Idempotency-Key has 1 to 200 characters.") }
            switch try await idempotency.begin(person: identity.personID, key: key) {
            case .inProgress:
                throw Problem.conflict("idempotency-key-in-use", "Request in progress", "An upload with this Idempotency-Key is still running.")
            case let .replay(fingerprint, response):
                // The same bytes are the same file, so storing again costs nothing and tells us the digest.
                let stored = try await storeUpload(chunks)
                guard fingerprint == Self.fingerprint(request, stored.sha256), let document = UUID(uuidString: response) else {
                    throw Problem.idempotencyKeyReused
                }
                guard let view = try await workflow.evidence(application: id, document: document).first else { throw Problem.internalError }
                return .created(.init(body: .json(.init(view))))
            case .fresh:
                break
            }
        }
        let stored: StoredFile
        let document: UUID
        do {
            stored = try await storeUpload(chunks)
            document = try await Self.domain { try await uploads.record(upload, file: stored, application: id, as: identity) }
        } catch {
            // Unstructured: an upload cancelled mid-way must still free its key.
            if let key { try? await Task { try await idempotency.abandon(person: identity.personID, key: key) }.value }
            throw error
        }
        // The document is recorded: a failure to record the answer must not free the key for a second upload.
        if let key {
            do {
                let fingerprint = Self.fingerprint(request, stored.sha256)
                try await Task { try await idempotency.finish(person: identity.personID, key: key, fingerprint: fingerprint,
                                                              response: document.uuidString) }.value
            } catch {
                requestLogger.error("Could not record an idempotent answer; the key stays claimed", metadata: ["error": "\(error)"])
            }
        }
        guard let view = try await workflow.evidence(application: id, document: document).first else { throw Problem.internalError }
        return .created(.init(body: .json(.init(view))))
    }

    /// Streams the stored bytes; the storage withholds the last chunk until the digest matched, so a
    /// damaged file is never delivered whole.
    func downloadEvidence(_ input: Operations.DownloadEvidence.Input) async throws -> Operations.DownloadEvidence.Output {
        let document = try await visibleDocument(input.path.applicationId, input.path.documentId)
        let (size, chunks): (Int64, AsyncThrowingStream<ByteBuffer, any Error>)
        do {
            (size, chunks) = try await storage.read(document.metadata.sha256)
        } catch {
            requestLogger.error("Evidence file unreadable", metadata: ["document": "\(document.id)", "error": "\(error)"])
            throw Problem.internalError
        }
        let logger = requestLogger
        let documentID = document.id
        // A mismatch found while streaming can no longer change the status: log it, and end the body short.
        let checked = ReportingChunks(base: chunks) { error in
            logger.critical("Evidence file does not match its digest; download cut short", metadata: ["document": "\(documentID)", "error": "\(error)"])
        }
        let body = HTTPBody(checked, length: .known(size), iterationBehavior: .single)
        let headers = Operations.DownloadEvidence.Output.Ok.Headers(
            eTag: "\"\(document.metadata.sha256)\"", contentDisposition: Self.attachment(document.metadata.fileName), xContentTypeOptions: "nosniff")
        let content: Operations.DownloadEvidence.Output.Ok.Body = switch EvidenceFileType.allCases.first(where: { $0.mediaType == document.metadata.mediaType }) {
        case .pdf, nil: .pdf(body)
        case .png: .png(body)
        case .jpeg: .jpeg(body)
        case .docx: .applicationVnd_openxmlformatsOfficedocument_wordprocessingml_document(body)
        case .xlsx: .applicationVnd_openxmlformatsOfficedocument_spreadsheetml_sheet(body)
        case .csv: .csv(body)
        case .text: .plainText(body)
        }
        return .ok(.init(headers: headers, body: content))
    }

    func linkEvidence(_ input: Operations.LinkEvidence.Input) async throws -> Operations.LinkEvidence.Output {
        let document = try await visibleDocument(input.path.applicationId, input.path.documentId)
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        guard (1...200).contains(body.indicators.count) else { throw Problem.badRequest("indicators has 1 to 200 codes.") }
        try await Self.domain {
            try await workflow.linkEvidence(document.id, application: document.applicationID, indicators: body.indicators, actor: try Self.caller().actor)
        }
        return .ok(.init(body: .json(.init(try await visibleDocument(input.path.applicationId, input.path.documentId)))))
    }

    func fireEvidenceTransition(_ input: Operations.FireEvidenceTransition.Input) async throws -> Operations.FireEvidenceTransition.Output {
        let document = try await visibleDocument(input.path.applicationId, input.path.documentId)
        let identity = try Self.caller()
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        guard let action = Workflows.EvidenceAction(rawValue: body.action) else { throw Self.unknownAction(body.action, "evidence") }
        let result = try await recordTransition(input.headers.idempotencyKey, identity, "evidence", document.id, body) { expected in
            try await workflow.fire(action, evidence: document.id, actor: identity.actor, expectedVersion: expected, reason: body.reason ?? "")
        }
        return .ok(.init(body: .json(.init(state: result.state, version: result.version))))
    }

    // MARK: -

    /// Stores an upload's bytes; what the storage refuses comes back as a problem.
    private func storeUpload(_ chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) async throws -> StoredFile {
        do {
            return try await Self.domain { try await uploads.store(chunks) }
        } catch let error as ActiveContentError {
            throw Problem.activeContent(error)
        }
    }

    /// Refuses text longer than the OpenAPI document's `maxLength`, counted in code points as JSON Schema
    /// counts (a count of characters would let a longer text through: `e` and a combining accent are one).
    static func atMost(_ text: String?, _ max: Int, _ field: String) throws {
        guard let text, text.unicodeScalars.count > max else { return }
        throw Problem.badRequest("\(field) has at most \(max) characters.", field: field)
    }

    private func visibleDocument(_ application: String, _ raw: String) async throws -> EvidenceView {
        let (id, _) = try await visibleApplication(application)
        let documentID = try Self.uuid(raw, "evidence document")
        guard let document = try await workflow.evidence(application: id, document: documentID).first else {
            throw Problem.notFound("No evidence document \(raw).")
        }
        return document
    }

    /// `attachment` with an ASCII fallback name and the exact name in RFC 8187 form.
    static func attachment(_ fileName: String) -> String {
        let ascii = String(fileName.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 ? Character($0) : "_" })
        let encoded = fileName.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ascii
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}

/// The stored chunks as the body wants them, pulled one at a time (so a slow client holds back the disk
/// reads), telling `onError` when the storage ends the stream with an error.
struct ReportingChunks: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>
    let base: AsyncThrowingStream<ByteBuffer, any Error>
    let onError: @Sendable (any Error) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator
        let onError: @Sendable (any Error) -> Void

        mutating func next() async throws -> ArraySlice<UInt8>? {
            do {
                return try await base.next().map { ArraySlice($0.readableBytesView) }
            } catch {
                onError(error)
                throw error
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), onError: onError) }
}

extension Components.Schemas.EvidenceDocument {
    init(_ document: EvidenceView) {
        let metadata = document.metadata
        self.init(
            id: APIHandler.id(document.id), applicationId: APIHandler.id(document.applicationID), title: metadata.title,
            kind: APIHandler.wire(metadata.kind), asOf: metadata.asOf, sha256: metadata.sha256, byteCount: metadata.byteCount,
            mediaType: metadata.mediaType, fileName: metadata.fileName, indicators: document.indicators,
            state: APIHandler.wire(document.state), version: document.version, supersedes: document.supersedes.map(APIHandler.id),
            uploadedBy: APIHandler.id(document.uploadedBy), uploadedAt: document.uploadedAt)
    }
}
