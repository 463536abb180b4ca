import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Persistence

/// Puts the person of the session cookie on the request context. A cookie that names no live session
/// (signed out, expired, password changed) is as good as none: the page asks the person to sign in.
struct WebIdentityMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let sessions: SessionCache
    let settings: WebSessionSettings

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = settings.token(in: request) else { return try await next(request, context) }
        var context = context
        do {
            let identity = try await sessions.identity(for: token)
            context.identity = identity
            context.sessionToken = token
            context.logger[metadataKey: "person"] = .string(identity.personID.uuidString.lowercased())
        } catch AccountError.unauthenticated {
            // Forget the dead cookie so the browser stops sending it.
            context.sessionEnded = true
            var response: Response
            do {
                response = try await next(request, context)
            } catch WebRedirect.signIn {
                response = .redirect(to: WebRoute.signIn.path + "?expired=1", type: .normal)
            }
            if response.headers[.setCookie] == nil { response.headers[.setCookie] = settings.clearingCookie }
            return response
        }
        return try await next(request, context)
    }
}

/// Refuses every unsafe request (POST, PUT, PATCH, DELETE) to the pages that does not come from our own
/// pages (`Sec-Fetch-Site` / `Origin`), before any form is read. Forms additionally carry the session's
/// synchronizer token, checked where the form is decoded.
struct SameOriginMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let settings: WebSessionSettings

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if ![.get, .head, .options].contains(request.method), !settings.isSameOrigin(request) {
            throw WebFailure.forged
        }
        return try await next(request, context)
    }
}

/// Errors inside the pages become HTML pages with the right status: a missing or other tenant's record
/// is the same 404 page, a page that needs a session redirects to sign in, anything unexpected is logged
/// (its cause only) and answered with a 500 page that names the request id.
struct ErrorPageMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let renderer: PageRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch WebRedirect.signIn {
            return .redirect(to: WebRoute.signIn.path, type: .normal)
        } catch let failure as WebFailure {
            return try page(context, status: failure.status, title: failure.status == .forbidden ? "Request refused" : "Something was wrong with the form",
                            message: failure.message)
        } catch let error as WorkflowError {
            if case .notFound = error { return try notFound(context) }
            return try page(context, status: .conflict, title: "Not possible now", message: PageBuilder.sentence(error))
        } catch let error as HTTPError where error.status == .notFound {
            return try notFound(context)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return try page(context, status: .contentTooLarge, title: "Too much text", message: "The form sent more text than a page accepts.")
        } catch {
            context.logger.error("Page failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            let id = RequestScope.requestID ?? ""
            return try page(context, status: .internalServerError, title: "Something went wrong on our side",
                            message: "The page could not be shown. Try again in a moment; if it keeps happening, tell ASTRO staff the request id \(id).")
        }
    }

    func notFound(_ context: Context) throws -> Response {
        try page(context, status: .notFound, title: "Page not found",
                 message: "There is no such page, or it belongs to another practice. Check the address, or go back to your applications.")
    }

    func page(_ context: Context, status: HTTPResponse.Status, title: String, message: String) throws -> Response {
        let chrome = context.identity.flatMap { identity in context.sessionToken.map { Chrome(identity: identity, sessionToken: $0) } } ?? .signedOut
        return try renderer.page("error", ErrorPage(chrome: chrome, title: title, status: Int(status.code), message: message), status: status)
    }
}

/// A path no route knows answers browsers (which ask for `text/html`) with the portal's 404 page; API
/// clients keep the problem document.
struct HTMLNotFoundMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let renderer: PageRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && request.headers[.accept]?.contains("text/html") == true {
            var response = try ErrorPageMiddleware(renderer: renderer).notFound(context)
            response.headers[.contentSecurityPolicy] = SecurityHeadersMiddleware<Context>.policy
            response.headers[.xContentTypeOptions] = "nosniff"
            return response
        }
    }
}
