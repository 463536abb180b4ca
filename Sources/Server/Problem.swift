import AccreditationCore
public import Hummingbird
import Foundation
import Persistence

/// An RFC 9457 problem+json error. `type` is stable per kind of error so clients can branch on it.
public struct Problem: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let type: String
    public let title: String
    public let detail: String?
    /// The request field (query parameter, header, body member) that was refused, when there is one.
    public let field: String?

    public init(status: HTTPResponse.Status, type: String, title: String, detail: String? = nil, field: String? = nil) {
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.field = field
    }

    /// Problem types live under this base; each kind gets a fixed suffix.
    public static let typeBase = "https://apex.example/problems/"

    public static func notFound(_ detail: String? = nil) -> Problem {
        Problem(status: .notFound, type: typeBase + "not-found", title: "Not found", detail: detail)
    }

    public static func badRequest(_ detail: String, field: String? = nil) -> Problem {
        Problem(status: .badRequest, type: typeBase + "bad-request", title: "Bad request", detail: detail, field: field)
    }

    public static let unsupportedMediaType = Problem(
        status: .unsupportedMediaType, type: typeBase + "unsupported-media-type", title: "Unsupported media type",
        detail: "Send the request body as application/json."
    )

    public static func tooLarge(limit: Int) -> Problem {
        Problem(status: .contentTooLarge, type: typeBase + "too-large", title: "Request body too large",
                detail: "Request bodies are limited to \(limit) bytes.")
    }

    public static func serviceUnavailable(_ detail: String) -> Problem {
        Problem(status: .serviceUnavailable, type: typeBase + "not-ready", title: "Service not ready", detail: detail)
    }

    public static let internalError = Problem(
        status: .internalServerError, type: typeBase + "internal", title: "Internal server error",
        detail: "The server could not complete the request; the request id in the logs tells operators where to look."
    )

    /// Ids go out in lower case everywhere; the domain's messages interpolate `UUID`, whose text is upper case.
    static func lowercasingIDs(_ text: String) -> String {
        guard text.contains(/[0-9A-F]{8}-[0-9A-F]{4}-/) else { return text }
        return text.replacing(/[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/) { $0.output.lowercased() }
    }

    private struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String?
        let instance: String?
        let field: String?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(type: type, title: title, status: Int(status.code), detail: detail.map(Self.lowercasingIDs),
                        instance: request.uri.path, field: field)
        let data = try CanonicalJSON.data(body)
        return Response(
            status: status,
            headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

extension Problem {
    /// An evidence upload over the upload limit (`too-large`, like a JSON body over its limit).
    public static func uploadTooLarge(limit: Int64) -> Problem {
        Problem(status: .contentTooLarge, type: typeBase + "too-large", title: "Upload too large",
                detail: StorageError.tooLarge(limit: limit).description)
    }

    /// A PDF refused for active content (scripts, launch actions, attached files, embedded media).
    static func activeContent(_ error: ActiveContentError) -> Problem {
        Problem(status: .unprocessableContent, type: typeBase + "active-content", title: "PDF with active content", detail: error.description)
    }
}
