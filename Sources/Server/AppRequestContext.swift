public import AccreditationCore
public import Hummingbird

/// The per-request context of every route. The pages read the signed-in person from here (set by
/// `WebIdentityMiddleware` from the session cookie); the generated OpenAPI handlers, which see no
/// context, read it from `RequestScope` task-locals that `AuthMiddleware` sets.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's IP address, for throttling failed sign-ins.
    public let remoteAddress: String
    /// The person of the session cookie, on web routes.
    public var identity: Identity?
    /// The session token of that cookie (for signing out and the forms' synchronizer token).
    public var sessionToken: String?
    /// The request carried a session cookie that no longer names a live session (signed out elsewhere,
    /// expired, password changed): the sign-in page says so.
    public var sessionEnded = false

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
