public import Hummingbird
import Foundation

/// An RFC 9457 problem+json error. `type` is stable per kind of error so clients can branch on it.
public struct Problem: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let type: String
    public let title: String
    public let detail: String?

    public init(status: HTTPResponse.Status, type: String, title: String, detail: String? = nil) {
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
    }

    /// Problem types live under this base; each kind gets a fixed suffix.
    public static let typeBase = "https://apex.example/problems/"

    public static func notFound(_ detail: String? = nil) -> Problem {
        Problem(status: .notFound, type: typeBase + "not-found", title: "Not found", detail: detail)
    }

    public static func badRequest(_ detail: String) -> Problem {
        Problem(status: .badRequest, type: typeBase + "bad-request", title: "Bad request", detail: detail)
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

    private struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String?
        let instance: String?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(type: type, title: title, status: Int(status.code), detail: detail, instance: request.uri.path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(body)
        return Response(
            status: status,
            headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
