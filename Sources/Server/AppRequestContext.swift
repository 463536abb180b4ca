public import Hummingbird

/// The per-request context of every route. The signed-in person travels in `RequestScope` task-locals,
/// which the generated OpenAPI handlers can read.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's IP address, for throttling failed sign-ins.
    public let remoteAddress: String

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
