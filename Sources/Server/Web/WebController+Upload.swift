import AccreditationCore
import Foundation
import Hummingbird
import MultipartKit
import NIOCore
import Persistence
import Synchronization
import UseCases

/// The evidence upload without JavaScript: the form posts `multipart/form-data` with the describing
/// fields first and the file last (the page puts it last). The fields are checked (and the session's
/// token) before the first byte of the file is kept; the file is then streamed to storage as it
/// arrives, never held whole in memory, and recorded once durable: the same steps as the API's upload.
extension WebController {
    /// Text fields of the form, all of them together, in bytes.
    static let uploadFieldsLimit = 64 * 1024
    /// Bytes read from the client but not yet written to storage before reading pauses.
    static let uploadHighWater = 8 << 20

    func uploadForm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (identity, token) = try signedIn(context)
        let id = try Self.uuid(context.parameters.get("id"))
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/form-data"),
              let boundary = Self.boundary(type) else {
            throw WebFailure(status: .unsupportedMediaType, message: "This page accepts only its own forms.")
        }
        let parts = UploadParts()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in parts.header(name, value) }
        parser.onBody = { body in parts.body(&body) }
        parser.onPartComplete = { parts.complete() }

        var storing: Task<StoredFile, any Error>?
        var input: EvidenceUploadInput?
        do {
            for try await chunk in request.body {
                do {
                    try parser.execute(chunk)
                } catch {
                    // The parser's own error type is private; any parse failure is a malformed form.
                    throw FieldError(field: "form", message: "The form could not be read: it was cut short or not sent by this page. Reload the page and try again.")
                }
                if parts.fieldBytes > Self.uploadFieldsLimit { throw FieldError(field: "form", message: "The form's text fields are too long.") }
                if storing == nil, parts.fileStarted {
                    // The fields are complete: check them and the session's token before keeping any byte.
                    guard let session = context.sessionToken, CSRFToken.matches(parts.field("csrf"), session: session) else { throw WebFailure.forged }
                    let checked = try EvidenceUploadInput.checked(
                        title: parts.field("title") ?? "", kind: parts.field("kind") ?? "", asOf: parts.field("as_of") ?? "",
                        indicators: parts.fields("indicators"), fileName: parts.fileName ?? "", supersedes: parts.field("supersedes"))
                    try await uploads.check(checked, application: id, as: identity)
                    input = checked
                    let stream = parts.startStreaming()
                    storing = Task { try await uploads.store(stream) }
                }
                while parts.outstanding > Self.uploadHighWater { try await Task.sleep(for: .milliseconds(2)) }
            }
            guard let input, let storing else {
                throw FieldError(field: "file", message: parts.fileStarted ? "The upload ended early." : "Choose a file to upload.")
            }
            parts.finish(error: nil)
            let file = try await storing.value
            _ = try await uploads.record(input, file: file, application: id, as: identity)
            cache.changed(id)
            return .redirect(to: WebRoute.application(id).path + "?done=uploaded#documents", type: .normal)
        } catch {
            parts.finish(error: error)
            _ = try? await storing?.value
            let message: String
            switch error {
            case let error as FieldError: message = error.message
            case let error as StorageError: message = error.description
            case let error as ActiveContentError: message = error.description
            case let error as WorkflowError:
                if case .notFound = error { throw error }
                message = PageBuilder.sentence(error)
            default: throw error
            }
            return try await workspaceAgain(id, identity, token) { $0.notice = Notice(text: "The document was not uploaded: \(message)", isError: true) }
        }
    }

    /// The `boundary` parameter of a multipart content type.
    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty || value.count > 70 ? nil : value
            }
        }
        return nil
    }
}

/// The parts of one multipart upload as the parser reports them: text fields collected, the file part's
/// bytes handed on to a stream once streaming starts (held until then, which is at most one read).
final class UploadParts: Sendable {
    private struct State {
        var headers: [String: String] = [:]
        var current: ByteBuffer?
        var isFile = false
        var fields: [(String, String)] = []
        var fieldBytes = 0
        var fileName: String?
        var fileStarted = false
        var pending: [ByteBuffer] = []
        var continuation: AsyncThrowingStream<ByteBuffer, any Error>.Continuation?
        var outstanding = 0
    }

    private let state = Mutex(State())

    var fieldBytes: Int { state.withLock { $0.fieldBytes } }
    var fileStarted: Bool { state.withLock { $0.fileStarted } }
    var fileName: String? { state.withLock { $0.fileName } }
    var outstanding: Int { state.withLock { $0.outstanding } }

    func field(_ name: String) -> String? { state.withLock { $0.fields.first { $0.0 == name }?.1 } }
    func fields(_ name: String) -> [String] { state.withLock { $0.fields.filter { $0.0 == name }.map(\.1) } }

    func header(_ name: String, _ value: String) {
        state.withLock { $0.headers[name.lowercased()] = value }
    }

    func body(_ buffer: inout ByteBuffer) {
        let chunk = buffer.readSlice(length: buffer.readableBytes) ?? ByteBuffer()
        state.withLock { state in
            if state.current == nil, !state.isFile {
                // The first bytes of a part: its headers are complete.
                let disposition = state.headers["content-disposition"] ?? ""
                if let name = Self.parameter("filename", in: disposition) {
                    state.isFile = true
                    state.fileStarted = true
                    state.fileName = name
                } else {
                    state.current = ByteBuffer()
                }
            }
            if state.isFile {
                state.outstanding += chunk.readableBytes
                if let continuation = state.continuation { continuation.yield(chunk) } else { state.pending.append(chunk) }
            } else {
                state.fieldBytes += chunk.readableBytes
                var current = state.current ?? ByteBuffer()
                var copy = chunk
                current.writeBuffer(&copy)
                state.current = current
            }
        }
    }

    func complete() {
        state.withLock { state in
            let disposition = state.headers["content-disposition"] ?? ""
            if !state.isFile, let name = Self.parameter("name", in: disposition) {
                state.fields.append((name, state.current.map { String(buffer: $0) } ?? ""))
            }
            if state.isFile { state.continuation?.finish() }
            state.headers = [:]
            state.current = nil
            state.isFile = false
        }
    }

    /// The file's bytes from the start, for the storage; reading them lowers `outstanding`.
    func startStreaming() -> CountingStream {
        let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        state.withLock { state in
            for chunk in state.pending { continuation.yield(chunk) }
            state.pending = []
            state.continuation = continuation
        }
        return CountingStream(base: stream, parts: self)
    }

    func consumed(_ bytes: Int) { state.withLock { $0.outstanding -= bytes } }

    /// Ends the stream: normally when the body is complete, with `error` when the request failed.
    func finish(error: (any Error)?) {
        state.withLock { state in
            if let error { state.continuation?.finish(throwing: error) } else { state.continuation?.finish() }
        }
    }

    /// A parameter of a `Content-Disposition` value, e.g. `name="title"`.
    static func parameter(_ key: String, in header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == key {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }
}

/// The file part's bytes, counting what the storage has taken so reading the request can pause.
struct CountingStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: AsyncThrowingStream<ByteBuffer, any Error>
    let parts: UploadParts

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator
        let parts: UploadParts
        mutating func next() async throws -> ByteBuffer? {
            let chunk = try await base.next()
            if let chunk { parts.consumed(chunk.readableBytes) }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), parts: parts) }
}
