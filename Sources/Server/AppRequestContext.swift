public import Hummingbird

/// The per-request context of every route. Later issues add the authenticated identity here.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
