public import Hummingbird
import HTTPTypes
import OpenAPIRuntime
import AccreditationCore
import Persistence
import Foundation

/// Gives every request an id (the caller's `X-Request-Id` when it is sensible, else a new one), puts it
/// in the request's log metadata and echoes it in the response.
public struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = request.headers[.xRequestID].flatMap(Self.acceptable) ?? UUID().uuidString.lowercased()
        var context = context
        context.logger[metadataKey: "request_id"] = .string(id)
        do {
            // The router skips empty segments; the prefix checks of later middleware do not. One spelling per path.
            guard !request.uri.path.contains("//") else { throw Problem.notFound("No route for \(request.uri.path).") }
            var response = try await RequestScope.$requestID.withValue(id) { try await next(request, context) }
            response.headers[.xRequestID] = id
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers[.xRequestID] = id
            return response
        }
    }

    /// A caller-supplied id is kept only if it is short and plain, so it cannot forge log lines.
    static func acceptable(_ value: String) -> String? {
        guard (1...128).contains(value.count),
              value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) else { return nil }
        return value
    }
}

/// Turns every error into problem+json: known HTTP errors keep their status; anything else is a 500
/// whose details go to the log, not to the client.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as ServerError {
            throw Self.problem(for: error, context: context)
        } catch let error as HTTPError {
            if error.status == .notFound {
                throw Problem.notFound("No route for \(request.method) \(request.uri.path).")
            }
            throw Problem(status: error.status, type: Problem.typeBase + "http-\(error.status.code)",
                          title: error.status.reasonPhrase, detail: error.body)
        } catch let error as any HTTPResponseError {
            throw Problem(status: error.status, type: Problem.typeBase + "http-\(error.status.code)",
                          title: error.status.reasonPhrase, detail: nil)
        } catch {
            context.logger.error("Request failed", metadata: ["error": "\(String(reflecting: error))"])
            throw Problem.internalError
        }
    }
}

extension ProblemMiddleware {
    /// The OpenAPI layer wraps what went wrong: a request it could not decode is the client's fault (400,
    /// 415); a Problem thrown by a handler keeps its status; anything else is a 500.
    static func problem(for error: ServerError, context: Context) -> Problem {
        if let problem = error.underlyingError as? Problem { return problem }
        switch error.httpStatus {
        case .unsupportedMediaType:
            return Problem(status: .unsupportedMediaType, type: Problem.typeBase + "unsupported-media-type", title: "Unsupported media type",
                           detail: "This operation does not accept a body of that Content-Type; the OpenAPI document lists the ones it does.")
        case let status where (400..<500).contains(status.code):
            return status == .badRequest ? .badRequest(describe(error))
                : Problem(status: status, type: Problem.typeBase + "http-\(status.code)", title: status.reasonPhrase, detail: describe(error))
        default:
            context.logger.error("Request failed", metadata: ["error": "\(String(reflecting: error))"])
            return .internalError
        }
    }

    /// A client-facing account of a decoding failure: which field and why, never a Swift type dump.
    static func describe(_ error: ServerError) -> String {
        if let decoding = error.underlyingError as? DecodingError {
            switch decoding {
            case let .keyNotFound(key, context):
                return "Missing field '\(path(context.codingPath + [key]))'."
            case let .valueNotFound(_, context) where context.codingPath.isEmpty:
                return "A required parameter is missing or empty. \(error.causeDescription)"
            case let .typeMismatch(_, context), let .valueNotFound(_, context):
                return "Field '\(path(context.codingPath))' has the wrong type: \(context.debugDescription)"
            case let .dataCorrupted(context) where context.codingPath.isEmpty:
                return error.request.headerFields[.contentType] == nil ? "A parameter is not valid. \(error.causeDescription)" : "The body is not valid JSON."
            case let .dataCorrupted(context):
                return "Field '\(path(context.codingPath))' is invalid: \(context.debugDescription)"
            @unknown default:
                return "The request body could not be read."
            }
        }
        return error.causeDescription
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }
}

/// Refuses JSON bodies above the configured size before anything reads them whole. Evidence uploads
/// (`application/octet-stream` to `…/evidence`) pass through unread: they are streamed, with their own limit.
public struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int

    public init(limit: Int) { self.limit = limit }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .post, request.uri.path.hasSuffix("/evidence"),
           request.headers[.contentType]?.lowercased().hasPrefix("application/octet-stream") == true {
            return try await next(request, context)
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Problem.tooLarge(limit: limit)
        }
        var request = request
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problem.tooLarge(limit: limit)
        }
        return try await next(request, context)
    }
}

/// Refuses text PostgreSQL cannot store: a NUL character (`\u0000` in a JSON body, `%00` in the path or
/// query). One check here instead of one per field.
public struct NulCharacterMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.string.range(of: "%00") != nil || request.headers.contains(where: { $0.value.contains("%00") || $0.value.contains("\u{0}") }) {
            throw Problem.badRequest("Text must not contain the NUL character (%00).")
        }
        // Uploads are raw bytes, streamed unread; other bodies were collected within their limit already.
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/octet-stream") != true else { return try await next(request, context) }
        var request = request
        let body = try await request.collectBody(upTo: .max)
        if Self.hasEscapedNul(body.readableBytesView) {
            throw Problem.badRequest("Text must not contain the NUL character (\\u0000).")
        }
        return try await next(request, context)
    }

    /// True when the JSON text escapes a NUL: `\u0000` after an even number of backslashes' worth of escaping.
    static func hasEscapedNul(_ bytes: some Collection<UInt8>) -> Bool {
        let pattern = Array("u0000".utf8)
        var backslashes = 0
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if backslashes % 2 == 1, byte == pattern[0], bytes[index...].starts(with: pattern) { return true }
            backslashes = byte == UInt8(ascii: "\\") ? backslashes + 1 : 0
            index = bytes.index(after: index)
        }
        return false
    }
}

/// After any request that may change an application (anything but GET and HEAD under
/// `/api/v1/applications/{id}`), forgets this apex's cached copy before the answer goes out, so the
/// caller's next read sees its own write without waiting for PostgreSQL's change announcement.
struct ApplicationWriteMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let cache: ApplicationCache
    static let prefix = "/api/v1/applications/"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head, request.uri.path.hasPrefix(Self.prefix) else {
            return try await next(request, context)
        }
        let id = UUID(uuidString: String(request.uri.path.dropFirst(Self.prefix.count).prefix(36)))
        defer { if let id { cache.changed(id) } }
        return try await next(request, context)
    }
}

/// Resolves `Authorization: Bearer <token>` to the signed-in person for the operations. Deny by default:
/// every API path but signing in and accepting an invitation answers 401 without a valid token, and the
/// operations check the identity again. A token that is present but not valid is a 401 here.
/// The token never reaches a log.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let sessions: SessionCache
    static let `public`: Set<String> = ["/api/v1/auth/login", "/api/v1/invitations/accept"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Health checks and the document answer whatever a proxy forwards.
        guard request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            // Deny by default: under /api only signing in and accepting an invitation need no token.
            if !Self.public.contains(request.uri.path) || request.method != .post {
                throw Problem.unauthenticated
            }
            return try await RequestScope.$address.withValue(context.remoteAddress) { try await next(request, context) }
        }
        guard header.lowercased().hasPrefix("bearer "), case let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), !token.isEmpty else {
            throw Problem(status: .unauthorized, type: Problem.typeBase + "unauthenticated", title: "Not signed in",
                          detail: "Send the token as Authorization: Bearer <token>.")
        }
        let identity: Identity
        do {
            identity = try await sessions.identity(for: token)
        } catch AccountError.unauthenticated {
            throw Problem(status: .unauthorized, type: Problem.typeBase + "unauthenticated", title: "Not signed in",
                          detail: "The token is unknown, expired or revoked.")
        }
        var context = context
        context.logger[metadataKey: "person"] = .string(identity.personID.uuidString)
        return try await RequestScope.$address.withValue(context.remoteAddress) {
            try await RequestScope.$identity.withValue(identity) {
                try await RequestScope.$token.withValue(token) { try await next(request, context) }
            }
        }
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-Id")!
}
