import AccreditationCore
import Foundation
import Hummingbird
import NIOCore
import Logging
import Persistence
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Applications as a GET shows them, kept in memory while this apex hears every change from PostgreSQL.
/// Correctness comes first:
/// - The cache works only while the listener is connected; when the connection drops it is emptied
///   and bypassed until listening again.
/// - A change is announced after it commits (`apex_application`, migration 0007), and the copy is
///   forgotten when the announcement arrives. A write through this apex also forgets its copy before
///   answering, so a client reads its own writes.
/// - A read that started before a change committed is never stored after it: each copy is stored only
///   if no change was heard since its read began.
final class ApplicationCache: Sendable {
    typealias Entry = (view: ApplicationView, facts: AccessPolicy.ApplicationFacts)

    private struct Stored {
        var entry: Entry
        /// The answer's JSON, once encoded: a hit is then served without decoding or encoding anything.
        var body: ByteBuffer?
    }

    private struct State {
        var listening = false
        /// Counts every change heard; a read remembers the count it started at.
        var changes: UInt64 = 0
        var entries: [UUID: Stored] = [:]
    }

    private let state = Mutex(State())
    let capacity = 10_000

    /// The cached copy, or the change count a fresh read should be stored under (nil: do not store).
    func lookup(_ id: UUID) -> (entry: Entry?, ticket: UInt64?) {
        state.withLock { state in
            guard state.listening else { return (nil, nil) }
            return (state.entries[id]?.entry, state.changes)
        }
    }

    func store(_ entry: Entry, for id: UUID, ticket: UInt64?) {
        guard let ticket else { return }
        state.withLock { state in
            guard state.listening, state.changes == ticket else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[id] = Stored(entry: entry, body: nil)
        }
    }

    /// Keeps the encoded answer beside the cached copy it was made from (same version).
    func attach(body: ByteBuffer, to id: UUID, view: ApplicationView) {
        state.withLock { state in
            // The whole view, not only the version: record transitions change only `updated_at`.
            guard state.entries[id]?.entry.view == view else { return }
            state.entries[id]?.body = body
        }
    }

    /// The cached copy with its encoded answer, when both are there.
    func encoded(_ id: UUID) -> (entry: Entry, body: ByteBuffer)? {
        state.withLock { state in
            guard state.listening, let stored = state.entries[id], let body = stored.body else { return nil }
            return (stored.entry, body)
        }
    }

    /// A change to one application (nil: to any).
    func changed(_ id: UUID?) {
        state.withLock { state in
            state.changes &+= 1
            if let id { state.entries[id] = nil } else { state.entries.removeAll() }
        }
    }

    func setListening(_ listening: Bool) {
        state.withLock { state in
            state.listening = listening
            state.changes &+= 1
            state.entries.removeAll()
        }
    }
}

/// Keeps a connection listening on `apex_application` and tells the cache what changed; reconnects
/// after a second when the connection fails, with the cache bypassed meanwhile.
struct ApplicationChangeListener: Service {
    let client: PostgresClient
    let cache: ApplicationCache
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: "apex_application") { notifications in
                            cache.setListening(true)
                            for try await notification in notifications {
                                cache.changed(notification.payload == "*" ? nil : UUID(uuidString: notification.payload))
                            }
                        }
                    }
                } catch is CancellationError {
                    break
                } catch {
                    logger.warning("Application change listener lost its connection; reads go to the database",
                                   metadata: ["error": "\(Database.describe(error))"])
                }
                cache.setListening(false)
                try? await Task.sleep(for: .seconds(1))
            }
            cache.setListening(false)
        }
    }
}

/// Serves `GET /api/v1/applications/{id}` from the cache's encoded answers when the signed-in person may
/// see the application (the same `AccessPolicy` question as the operation asks); anything else goes on to
/// the operation, which fills the cache. The bytes are what the operation answered for that version.
struct CachedApplicationReadMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let cache: ApplicationCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard request.method == .get, path.count == ApplicationWriteMiddleware.prefix.count + 36, path.hasPrefix(ApplicationWriteMiddleware.prefix),
              let id = UUID(uuidString: String(path.dropFirst(ApplicationWriteMiddleware.prefix.count))),
              let identity = RequestScope.identity, let (entry, body) = cache.encoded(id), AccessPolicy.canView(entry.facts, as: identity) else {
            return try await next(request, context)
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .eTag: APIHandler.etag(entry.view.summary.version)],
                        body: .init(byteBuffer: body))
    }
}
