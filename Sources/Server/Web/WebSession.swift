import AccreditationCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// How the portal carries a session: the same opaque session token the API issues, in a cookie. Over
/// HTTPS the cookie is `__Host-apex_session` (Secure, host-only, path /); over plain HTTP on a developer's
/// machine it is `apex_session` without Secure, which browsers would otherwise drop.
public struct WebSessionSettings: Sendable, Equatable {
    /// The origin people reach the service at, e.g. `https://apex.example.org` behind a proxy; nil means
    /// the request's own `Host` over plain HTTP (a developer's machine).
    public var publicOrigin: String?

    public init(publicOrigin: String? = nil) {
        self.publicOrigin = publicOrigin.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    var secure: Bool { publicOrigin?.lowercased().hasPrefix("https://") == true }
    var cookieName: String { secure ? "__Host-apex_session" : "apex_session" }

    /// The `Set-Cookie` value that stores `token` until `expires`.
    func cookie(_ token: String, expires: Date) -> String {
        let maxAge = max(0, Int(expires.timeIntervalSinceNow))
        return "\(cookieName)=\(token); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// The `Set-Cookie` value that removes the cookie.
    var clearingCookie: String {
        "\(cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// The session token from the request's cookies, if any.
    func token(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == cookieName, !parts[1].isEmpty { return String(parts[1]) }
            }
        }
        return nil
    }

    /// An absolute link to `path` on this service (for a link a person passes on, such as an invitation).
    func link(_ path: String, for request: Request) -> String {
        (expectedOrigin(for: request) ?? "") + path
    }

    /// The origin a same-site request carries: the configured public origin, else `http://<Host>`.
    func expectedOrigin(for request: Request) -> String? {
        if let publicOrigin { return publicOrigin.lowercased() }
        return request.head.authority.map { "http://" + $0.lowercased() }
    }

    /// Whether an unsafe request comes from our own pages: `Sec-Fetch-Site` (sent by current browsers)
    /// must be `same-origin`; otherwise `Origin` must be ours. A request with neither is refused: every
    /// browser that sends the cookie sends one of them on a POST.
    func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[.secFetchSite]?.lowercased() {
            return site == "same-origin"
        }
        guard let origin = request.headers[.origin]?.lowercased(), let expected = expectedOrigin(for: request) else { return false }
        return origin == expected
    }
}

/// The synchronizer token of a session: an HMAC of a fixed label keyed with the session token, so it
/// needs no storage, differs per session, and is useless without the (HttpOnly) cookie it came from.
enum CSRFToken {
    static func of(session token: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("apex-csrf-v1".utf8), using: SymmetricKey(data: Data(token.utf8)))
        return Hex.encode(Data(mac))
    }

    /// Constant-time comparison of what a form or header sent with the session's token.
    static func matches(_ sent: String?, session token: String) -> Bool {
        guard let sent else { return false }
        let expected = Array(of(session: token).utf8)
        let given = Array(sent.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension HTTPField.Name {
    static let secFetchSite = Self("Sec-Fetch-Site")!
    static let xCSRFToken = Self("X-CSRF-Token")!
}

/// Headers every page carries: no inline script or style (CSP), no framing, no MIME sniffing, no
/// referrer beyond our origin.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var policy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = Self.policy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "same-origin"
        response.headers[.xFrameOptions] = "DENY"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
}
