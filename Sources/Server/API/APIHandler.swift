import AccreditationCore
import APIDefinition
import Foundation
import Logging
import HTTPTypes
import OpenAPIRuntime
import Persistence

/// Implements the operations of `openapi.yaml`. Each operation is thin: read the input, ask the domain or
/// a store, map the answer to the generated response type. Areas live in extensions, one file each.
struct APIHandler: APIProtocol {
    let catalog: CatalogStore
    let accounts: AccountStore
    let sessions: SessionCache
    let applicationCache: ApplicationCache
    let workflow: WorkflowStore
    let idempotency: IdempotencyStore
    let storage: any EvidenceStorage
    let maxUploadBytes: Int64
    let logger: Logger
    /// Added per failed sign-in in a row before answering (zero in tests).
    let failureDelay: Duration

    /// Encodes answers exactly as the OpenAPI runtime does with `configuration`, for answers kept
    /// ready-encoded (a test compares the two byte for byte).
    static let responseEncoder: JSONEncoder = {
        let encoder = CanonicalJSON.encoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let configuration = Configuration(
        // Compact: pretty-printing costs time on every response and bytes on the wire; clients format.
        jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]
    )

    /// The generated code does not enforce `minimum`/`maximum`; page sizes are checked here.
    static func pageSize(_ limit: Int?) throws -> Int {
        let limit = limit ?? 50
        guard (1...200).contains(limit) else { throw Problem.badRequest("limit must be from 1 to 200.", field: "limit") }
        return limit
    }
}

/// Opaque cursors: the last key of a page, base64url-encoded so clients do not build them. A cursor
/// comes back from outside, so decoding checks everything a forged one could hold (NUL, control
/// characters, over-long text, times outside years 1...9999) and answers 400 naming `cursor`; nothing
/// from a cursor reaches a trapping conversion or PostgreSQL's own parser unchecked.
enum PageCursor {
    static let invalid = Problem.badRequest("cursor is not one this server handed out; start again without it.", field: "cursor")
    /// The document's `maxLength` for a cursor; its key then has at most 1,536 bytes, more than any key
    /// this server writes (names are at most a few hundred characters).
    static let maxLength = 2048
    /// Microseconds since 1970 at 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z.
    static let microsRange: ClosedRange<Int64> = -62_135_596_800_000_000...253_402_300_799_999_999

    static func encode(_ key: String) -> String { Encoding.base64URL(Data(key.utf8)) }

    /// A cursor for lists ordered by a name, then an id.
    static func encodeNamed(_ name: String, _ id: UUID) -> String { encode("\(name)|\(id.uuidString)") }

    static func decodeNamed(_ cursor: String) throws -> (String, UUID) {
        let key = try decode(cursor)
        guard let bar = key.lastIndex(of: "|"), let id = UUID(uuidString: String(key[key.index(after: bar)...])) else {
            throw invalid
        }
        return (String(key[..<bar]), id)
    }

    /// A cursor for lists ordered by a time, then an id (microseconds keep it exact).
    static func encodeTimed(_ date: Date, _ id: UUID) -> String {
        encode("\(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))|\(id.uuidString)")
    }

    static func decodeTimed(_ cursor: String) throws -> (Date, UUID) {
        let (micros, id) = try decodeNamed(cursor)
        guard let value = PlainInteger.parse(micros), microsRange.contains(value) else { throw invalid }
        return (Date(timeIntervalSince1970: Double(value) / 1_000_000), id)
    }

    static func decode(_ cursor: String) throws -> String {
        guard !cursor.isEmpty, cursor.utf8.count <= maxLength, let data = Encoding.fromBase64URL(cursor),
              let key = String(data: data, encoding: .utf8),
              !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw invalid
        }
        return key
    }
}

/// The OpenAPI runtime percent-encodes header values (`"v3"` goes out as `%22v3%22`); an entity tag
/// must keep its quotes and Content-Disposition its syntax, so those headers are decoded again on the way out.
struct ETagHeaderMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var (response, responseBody) = try await next(request, body, metadata)
        for name in [HTTPField.Name.eTag, .contentDisposition] {
            if let value = response.headerFields[name], let decoded = value.removingPercentEncoding {
                response.headerFields[name] = decoded
            }
        }
        return (response, responseBody)
    }
}
