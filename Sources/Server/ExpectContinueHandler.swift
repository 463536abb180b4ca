import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Answers `Expect: 100-continue` when apex first reads the body, not when the head arrives (RFC 9110
/// §10.1.1; Go's net/http does the same). So a request refused before its body is read — no or a bad
/// token, an application the caller may not see, a bad parameter, a state that takes no uploads, a
/// `Content-Length` over the limit — gets its final answer at once, without `100 Continue`, and the client
/// never sends the body. That answer says `Connection: close` and the connection closes after it: the
/// body its head announced will not follow, so the connection cannot carry another request.
///
/// The handler marks such a request with a private header (any copy the client sent is removed), and
/// `BodyLimitMiddleware` wraps its body so that the first read calls `ExpectContinue.proceed`. Nothing
/// here repeats the routing or the limits: the application refuses as it always does.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The request waiting for `100 Continue`, and how many responses go out before its own.
    private var waiting: (token: String, responsesAhead: Int)?
    /// Requests passed on whose final response has not started yet.
    private var unanswered = 0
    /// The response being written answers a request whose announced body was never asked for.
    private var closeAfterResponse = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case var .head(head) = unwrapInboundIn(data) else { return context.fireChannelRead(data) }
        head.headerFields[.apexContinueToken] = nil
        // One waiting request at a time: a client waiting for 100 sends nothing else meanwhile.
        if waiting == nil, head.headerFields[.expect]?.lowercased() == "100-continue", Self.announcesBody(head) {
            let token = UUID().uuidString
            head.headerFields[.apexContinueToken] = token
            waiting = (token, unanswered)
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            ExpectContinue.register(token) {
                handler.eventLoop.execute { handler.value.sendContinue(token, context: boundContext.value) }
            }
        }
        unanswered += 1
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case var .head(response) where response.status.kind != .informational:
            unanswered -= 1
            guard let pending = waiting else { return context.write(data, promise: promise) }
            guard pending.responsesAhead == 0 else {
                waiting = (pending.token, pending.responsesAhead - 1)
                return context.write(data, promise: promise)
            }
            // Answered without asking for the body: the client will not send it.
            ExpectContinue.forget(pending.token)
            waiting = nil
            closeAfterResponse = true
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .end where closeAfterResponse:
            closeAfterResponse = false
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            context.writeAndFlush(data, promise: written)
        default:
            context.write(data, promise: promise)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        forgetWaiting()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        forgetWaiting()
    }

    private func forgetWaiting() {
        if let pending = waiting { ExpectContinue.forget(pending.token) }
        waiting = nil
    }

    /// The application started reading the body of the request marked `token`.
    private func sendContinue(_ token: String, context: ChannelHandlerContext) {
        guard let pending = waiting, pending.token == token, pending.responsesAhead == 0 else { return }
        waiting = nil
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
    }

    /// A body follows the head (a length above zero, or chunked); without one there is nothing to wait for.
    private static func announcesBody(_ head: HTTPRequest) -> Bool {
        if let length = head.headerFields[.contentLength] { return length != "0" }
        return head.headerFields[.transferEncoding] != nil
    }
}

/// The requests whose client waits for `100 Continue`, by the token `ExpectContinueHandler` gave them.
enum ExpectContinue {
    private static let waiting = Mutex<[String: @Sendable () -> Void]>([:])

    static func register(_ token: String, send: @escaping @Sendable () -> Void) {
        waiting.withLock { $0[token] = send }
    }

    static func forget(_ token: String) {
        _ = waiting.withLock { $0.removeValue(forKey: token) }
    }

    /// Tells the client of the request marked `token` to send its body: once, and not at all when the
    /// request was answered already.
    static func proceed(_ token: String) {
        waiting.withLock { $0.removeValue(forKey: token) }?()
    }

    /// `body`, sending `100 Continue` (when the request carries `token`) on its first read.
    static func body(_ body: RequestBody, token: String?) -> RequestBody {
        guard let token else { return body }
        return RequestBody(asyncSequence: ContinueOnFirstRead(base: body, token: token))
    }
}

/// A request body that asks the client for its bytes when first read.
struct ContinueOnFirstRead: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let token: String

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        var token: String?

        mutating func next() async throws -> ByteBuffer? {
            if let token {
                self.token = nil
                ExpectContinue.proceed(token)
            }
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), token: token) }
}

extension HTTPField.Name {
    /// Marks a request whose client waits for `100 Continue`; set only by `ExpectContinueHandler`.
    static let apexContinueToken = Self("Apex-Continue-Token")!
}
