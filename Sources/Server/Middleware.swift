public import Hummingbird
import HTTPTypes
import OpenAPIRuntime
import AccreditationCore
import Persistence
import Foundation
import PostgresNIO
import Yams

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

/// Turns every error into problem+json: known HTTP errors keep their status; PostgreSQL's data errors
/// (a value the database could not take, SQLSTATE class 22) are the client's, 400; anything else is a
/// 500 whose cause goes to the log, never to the client.
///
/// Only the cause is logged, with the request id already in the logger's metadata: never the request,
/// its headers or its decoded body (the OpenAPI runtime's `ServerError` carries all three, including an
/// `Authorization` token and a sign-in's password).
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
            throw Self.unexpected(error, context: context)
        }
    }

    /// A database data error is a 400; anything else is logged (its cause only) and answered 500.
    static func unexpected(_ error: any Error, context: Context) -> Problem {
        if let problem = Problem(databaseDataError: error) { return problem }
        context.logger.error("Request failed", metadata: ["cause": "\(LogRedaction.scrub(String(reflecting: error)))"])
        return .internalError
    }
}

extension Problem {
    /// PostgreSQL refused a value (SQLSTATE class 22: out of range, invalid text representation,
    /// invalid datetime format, untranslatable character …; or 54000, a value too large for an index).
    /// The boundary checks should catch these first; this is the net under them, so a value that slips
    /// through is still the client's 400.
    init?(databaseDataError error: any Error) {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState], state.hasPrefix("22") || state == "54000" else { return nil }
        self = .badRequest("A value in the request is out of range or not in the form the field needs (SQLSTATE \(state)).")
    }
}

extension ProblemMiddleware {
    /// The OpenAPI layer wraps what went wrong: a request it could not decode is the client's fault (400,
    /// 415); a Problem thrown by a handler keeps its status; anything else is a 500 whose underlying
    /// cause, not the wrapped request, is logged.
    static func problem(for error: ServerError, context: Context) -> Problem {
        if let problem = error.underlyingError as? Problem { return problem }
        switch error.httpStatus {
        case .unsupportedMediaType:
            return Problem(status: .unsupportedMediaType, type: Problem.typeBase + "unsupported-media-type", title: "Unsupported media type",
                           detail: "This operation does not accept a body of that Content-Type; the OpenAPI document lists the ones it does.")
        case let status where (400..<500).contains(status.code):
            return status == .badRequest ? .badRequest(describe(error), field: field(of: error))
                : Problem(status: status, type: Problem.typeBase + "http-\(status.code)", title: status.reasonPhrase, detail: describe(error))
        default:
            return unexpected(error.underlyingError, context: context)
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

    /// The field a decoding failure is about, for the problem's `field` member; `nil` when unknown.
    static func field(of error: ServerError) -> String? {
        guard let decoding = error.underlyingError as? DecodingError else { return nil }
        switch decoding {
        case let .keyNotFound(key, context): return path(context.codingPath + [key])
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            return context.codingPath.isEmpty ? nil : path(context.codingPath)
        @unknown default: return nil
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }
}

/// Refuses JSON bodies above the configured size before anything reads them whole. Evidence uploads
/// (`application/octet-stream` to `…/evidence`) pass through unread: they are streamed, with their own limit.
/// A body whose client waits for `100 Continue` asks for it on its first read (see `ExpectContinueHandler`).
public struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int

    public init(limit: Int) { self.limit = limit }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        request.body = ExpectContinue.body(request.body, token: request.headers[.apexContinueToken])
        if request.method == .post, request.uri.path.hasSuffix("/evidence"),
           request.hasRawBody {
            return try await next(request, context)
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Problem.tooLarge(limit: limit)
        }
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            // Collecting throws NIO's own error past the limit (a body without a length); one problem type either way.
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
        // A path with a NUL names nothing, so it is not found, like any other malformed id in a path.
        if request.uri.path.range(of: "%00") != nil { throw Problem.notFound("No resource at a path containing NUL (%00).") }
        if request.uri.string.range(of: "%00") != nil || request.headers.contains(where: { $0.value.contains("%00") || $0.value.contains("\u{0}") }) {
            let parameter = Self.parameterWithNul(request.uri.query)
            throw Problem.badRequest("\(parameter ?? "Text") must not contain the NUL character (%00).", field: parameter)
        }
        // Uploads are raw bytes, streamed unread; other bodies were collected within their limit already.
        guard !request.hasRawBody else { return try await next(request, context) }
        var request = request
        let body = try await request.collectBody(upTo: .max)
        if Self.hasEscapedNul(body.readableBytesView) {
            throw Problem.badRequest("Text must not contain the NUL character (\\u0000).")
        }
        return try await next(request, context)
    }

    /// The query parameter whose value holds `%00`, when its name is a plain parameter name, so the
    /// answer can name it (`file_name must not contain …`).
    static func parameterWithNul(_ query: String?) -> String? {
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[1].contains("%00") else { continue }
            let name = String(parts[0])
            return name.wholeMatch(of: /[A-Za-z][A-Za-z0-9_]{0,63}/) != nil ? name : nil
        }
        return nil
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
    let cookies: WebSessionSettings
    static let `public`: Set<String> = ["/api/v1/auth/login", "/api/v1/invitations/accept"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Health checks and the document answer whatever a proxy forwards.
        guard request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            // The portal's own scripts (the upload progress bar) call the API with the session cookie.
            if let token = cookies.token(in: request) { return try await viaCookie(token, request, context, next) }
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
        return try await proceed(identity, token, request, context, next)
    }

    /// A cookie-authenticated API call: a page's script. Unsafe methods must come from our own pages
    /// and carry the session's synchronizer token in `X-CSRF-Token`, so another site cannot make the
    /// browser send one.
    func viaCookie(_ token: String, _ request: Request, _ context: Context, _ next: (Request, Context) async throws -> Response) async throws -> Response {
        let identity: Identity
        do {
            identity = try await sessions.identity(for: token)
        } catch AccountError.unauthenticated {
            throw Problem(status: .unauthorized, type: Problem.typeBase + "unauthenticated", title: "Not signed in",
                          detail: "The session has ended; sign in again.")
        }
        if ![.get, .head, .options].contains(request.method),
           !(cookies.isSameOrigin(request) && CSRFToken.matches(request.headers[.xCSRFToken], session: token)) {
            throw Problem(status: .forbidden, type: Problem.typeBase + "cross-site-request", title: "Cross-site request refused",
                          detail: "A cookie-authenticated change needs a same-origin request with the page's X-CSRF-Token.")
        }
        return try await proceed(identity, token, request, context, next)
    }

    func proceed(_ identity: Identity, _ token: String, _ request: Request, _ context: Context,
                 _ next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.identity = identity
        context.logger[metadataKey: "person"] = .string(identity.personID.uuidString)
        return try await RequestScope.$address.withValue(context.remoteAddress) {
            try await RequestScope.$identity.withValue(identity) {
                try await RequestScope.$token.withValue(token) { try await next(request, context) }
            }
        }
    }
}

extension Request {
    /// A body of raw bytes (an evidence upload), which is streamed to storage, never collected or parsed.
    /// Also the portal's upload form without JavaScript (`multipart/form-data`), streamed the same way.
    var hasRawBody: Bool {
        guard let type = headers[.contentType]?.lowercased() else { return false }
        return type.hasPrefix("application/octet-stream") || type.hasPrefix("multipart/form-data")
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-Id")!
}

/// Gives every request but an upload a deadline: when its work (most often waiting for a database
/// connection while PostgreSQL is down) is not done in time, the work is cancelled and the client gets a
/// 503 problem instead of a socket that never answers. Uploads stream for as long as the client sends;
/// graceful shutdown bounds them instead.
public struct DeadlineMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Duration

    public init(limit: Duration) { self.limit = limit }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.hasRawBody {
            return try await next(request, context)
        }
        let limit = limit
        return try await withoutActuallyEscaping(next) { next in
            // The closure is called once, in the child task, and the group outlives it.
            let work = UncheckedSendable(next)
            return try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask { try await work.value(request, context) }
                group.addTask {
                    try await Task.sleep(for: limit)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let response = first else {
                    context.logger.error("Request passed its deadline; cancelled", metadata: ["limit": "\(limit)"])
                    throw Problem(status: .serviceUnavailable, type: Problem.typeBase + "deadline-exceeded", title: "Not completed in time",
                                  detail: "The request could not be completed within \(limit) (the database may be unavailable); nothing was changed unless a later read shows it. Try again shortly.")
                }
                return response
            }
        }
    }
}

/// Carries a value the compiler cannot prove sendable across one task boundary whose use is sequential.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Whole-number query parameters (`limit`, `within_days`, … : every query parameter the OpenAPI document
/// types as `integer`) must be `PlainInteger`s: decimal digits, optionally after one minus sign, in range.
/// The generated decoder would take `+5` and refuse `abc` without naming the parameter; this answers 400
/// naming it, before anything else reads the value. Ranges stay with the operations.
public struct IntegerQueryMiddleware<Context: RequestContext>: RouterMiddleware {
    let names: Set<String>

    public init(names: Set<String>) { self.names = names }

    /// The names of every query parameter the document declares as an integer.
    public static func integerQueryParameters(inOpenAPI yaml: String) throws -> Set<String> {
        guard let document = try Yams.load(yaml: yaml) as? [String: Any] else { return [] }
        let shared = ((document["components"] as? [String: Any])?["parameters"] as? [String: Any]) ?? [:]
        var names = Set<String>()
        func visit(_ raw: Any) {
            var parameter = raw as? [String: Any] ?? [:]
            if let ref = parameter["$ref"] as? String, let name = ref.split(separator: "/").last {
                parameter = shared[String(name)] as? [String: Any] ?? [:]
            }
            if parameter["in"] as? String == "query", (parameter["schema"] as? [String: Any])?["type"] as? String == "integer",
               let name = parameter["name"] as? String { names.insert(name) }
        }
        for case let item as [String: Any] in (document["paths"] as? [String: Any] ?? [:]).values {
            for case let operation as [String: Any] in item.values {
                for parameter in operation["parameters"] as? [Any] ?? [] { visit(parameter) }
            }
        }
        return names
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        for item in request.uri.queryParameters where names.contains(String(item.key)) {
            let value = item.value.removingPercentEncoding ?? String(item.value)
            guard PlainInteger.parse(value) != nil else {
                throw Problem.badRequest("\(item.key) is a whole number written in plain digits, such as 50.", field: String(item.key))
            }
        }
        return try await next(request, context)
    }
}
