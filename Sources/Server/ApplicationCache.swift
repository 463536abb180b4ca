import AccreditationCore
import Foundation
import Hummingbird
import NIOCore
import Logging
import Persistence
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// How often the change listener proves it still hears PostgreSQL, and how old the newest proof may be
/// before the cache is bypassed and readiness answers 503.
public struct ListenerHeartbeat: Sendable, Equatable {
    public var interval: Duration = .seconds(1)
    /// The cache is bypassed once the newest heartbeat heard is older than this.
    public var staleAfter: Duration = .seconds(4)
    /// Readiness answers 503 once the listener has been silent this long: longer than `staleAfter`, so
    /// a pool busy for a few seconds (heartbeats share it with requests) does not take every replica
    /// out of the load balancer at once.
    public var unreadyAfter: Duration = .seconds(12)
    /// A listener silent this long has its connection closed, so the reconnect loop opens a fresh one
    /// (a socket a proxy or firewall keeps open while nothing flows would otherwise stay silent).
    public var reconnectAfter: Duration = .seconds(40)
    public init() {}
}

/// Applications as a GET shows them, kept in memory while this apex hears every change from PostgreSQL.
/// Correctness comes first:
/// - The cache works only while the listener is connected and provably hearing: the listener sends
///   itself a heartbeat notification every `heartbeat.interval` through another connection, and the
///   cache is trusted only while the newest heartbeat heard was sent within `heartbeat.staleAfter`. A
///   listener that stops hearing (its backend frozen, a proxy holding the socket open) empties the cache
///   and bypasses it until a fresh heartbeat arrives, and readiness answers 503 meanwhile.
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
        /// The portal's workspace page as rendered for a role, with placeholders for what is personal.
        var pages: [String: Page] = [:]
    }

    /// A rendered page and when it was made: pages also show what changes with time alone (whether an
    /// appeal window is still open, today's date as a default), so they are kept at most `pageLifetime`.
    struct Page: Sendable {
        let html: PagePlaceholders.Split
        let madeAt: ContinuousClock.Instant
    }

    /// How long a rendered page is reused, at most.
    let pageLifetime: Duration = .seconds(30)
    /// Applications whose pages are kept at most (a page is about 150 kB).
    let pageCapacity = 256

    private struct State {
        var listening = false
        /// When the newest heartbeat heard was sent (not when it arrived: a backlog of old ones proves nothing).
        var heardHeartbeatSentAt: ContinuousClock.Instant?
        /// Whether a heartbeat was ever heard, and since when the cache has not been trusted.
        var everHeard = false
        var quietSince: ContinuousClock.Instant?
        /// Counts every change heard; a read remembers the count it started at.
        var changes: UInt64 = 0
        var entries: [UUID: Stored] = [:]
        var applicationsWithPages = 0

        /// Trusted now; when trust has just lapsed, forgets everything so nothing stale outlives it.
        mutating func trusted(now: ContinuousClock.Instant, staleAfter: Duration) -> Bool {
            let trusted = listening && heardHeartbeatSentAt.map { now - $0 <= staleAfter } == true
            if trusted { quietSince = nil } else if quietSince == nil { quietSince = now }
            guard listening else { return false }
            if trusted { return true }
            if heardHeartbeatSentAt != nil || !entries.isEmpty {
                heardHeartbeatSentAt = nil
                changes &+= 1
                entries.removeAll()
                applicationsWithPages = 0
            }
            return false
        }
    }

    typealias Heartbeat = ListenerHeartbeat

    private let state = Mutex(State())
    let capacity = 10_000
    let heartbeat: Heartbeat

    init(heartbeat: Heartbeat = .init()) { self.heartbeat = heartbeat }

    /// True while the listener is connected and has heard a recent heartbeat of its own.
    var isHearing: Bool {
        let now = ContinuousClock.now
        return state.withLock { $0.trusted(now: now, staleAfter: heartbeat.staleAfter) }
    }

    /// Ready as far as the listener goes: hearing now, or heard before and silent for less than
    /// `heartbeat.unreadyAfter`.
    var isReady: Bool {
        let now = ContinuousClock.now
        return state.withLock { state in
            if state.trusted(now: now, staleAfter: heartbeat.staleAfter) { return true }
            return state.everHeard && state.quietSince.map { now - $0 < heartbeat.unreadyAfter } == true
        }
    }

    /// How long the cache has not been trusted (zero while it is).
    var quietFor: Duration {
        let now = ContinuousClock.now
        return state.withLock { state in
            _ = state.trusted(now: now, staleAfter: heartbeat.staleAfter)
            return state.quietSince.map { now - $0 } ?? .zero
        }
    }

    /// The listener heard its own heartbeat, sent at `sentAt`.
    func heardHeartbeat(sentAt: ContinuousClock.Instant) {
        state.withLock { state in
            guard state.listening else { return }
            state.everHeard = true
            if state.heardHeartbeatSentAt.map({ sentAt > $0 }) ?? true { state.heardHeartbeatSentAt = sentAt }
        }
    }

    /// The cached copy, or the change count a fresh read should be stored under (nil: do not store).
    func lookup(_ id: UUID) -> (entry: Entry?, ticket: UInt64?) {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard state.trusted(now: now, staleAfter: heartbeat.staleAfter) else { return (nil, nil) }
            return (state.entries[id]?.entry, state.changes)
        }
    }

    func store(_ entry: Entry, for id: UUID, ticket: UInt64?) {
        guard let ticket else { return }
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.trusted(now: now, staleAfter: heartbeat.staleAfter), state.changes == ticket else { return }
            if state.entries.count >= capacity {
                state.entries.removeAll(keepingCapacity: true)
                state.applicationsWithPages = 0
            }
            if state.entries[id]?.pages.isEmpty == false { state.applicationsWithPages -= 1 }
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
        let now = ContinuousClock.now
        return state.withLock { state in
            guard state.trusted(now: now, staleAfter: heartbeat.staleAfter), let stored = state.entries[id], let body = stored.body else { return nil }
            return (stored.entry, body)
        }
    }

    /// The cached copy and the page rendered for `key`, when both are there and the page is fresh.
    func page(_ id: UUID, key: String) -> (entry: Entry, html: PagePlaceholders.Split)? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard state.trusted(now: now, staleAfter: heartbeat.staleAfter), let stored = state.entries[id],
                  let page = stored.pages[key], now - page.madeAt < pageLifetime else { return nil }
            return (stored.entry, page.html)
        }
    }

    /// Keeps a rendered page beside the cached copy it was made from (the same view, and no change heard
    /// since `ticket`, the count the page's read began at).
    func attach(page html: PagePlaceholders.Split, key: String, to id: UUID, view: ApplicationView, ticket: UInt64?) {
        guard let ticket else { return }
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.changes == ticket, state.entries[id]?.entry.view == view else { return }
            if state.entries[id]?.pages.isEmpty == true {
                if state.applicationsWithPages >= pageCapacity {
                    for key in state.entries.keys { state.entries[key]?.pages = [:] }
                    state.applicationsWithPages = 0
                }
                state.applicationsWithPages += 1
            }
            state.entries[id]?.pages[key] = Page(html: html, madeAt: now)
        }
    }

    /// A change to one application (nil: to any).
    func changed(_ id: UUID?) {
        state.withLock { state in
            state.changes &+= 1
            if let id {
                if state.entries[id]?.pages.isEmpty == false { state.applicationsWithPages -= 1 }
                state.entries[id] = nil
            } else {
                state.entries.removeAll()
                state.applicationsWithPages = 0
            }
        }
    }

    func setListening(_ listening: Bool) {
        state.withLock { state in
            state.listening = listening
            state.heardHeartbeatSentAt = nil
            state.changes &+= 1
            state.entries.removeAll()
            state.applicationsWithPages = 0
        }
    }
}

/// Keeps a connection listening on `apex_application` and tells the cache what changed; reconnects
/// after a second when the connection fails, with the cache bypassed meanwhile. While listening it sends
/// itself a heartbeat (`heartbeat:<this replica>:<n>`) through the pool, so a connection that stays open
/// but stops delivering is noticed (see `ApplicationCache`); other replicas' heartbeats are ignored.
struct ApplicationChangeListener: Service {
    let client: PostgresClient
    let cache: ApplicationCache
    let logger: Logger
    /// Tells this replica's heartbeats from the others'.
    let replica = UUID().uuidString.lowercased()
    static let channel = "apex_application"

    /// Heartbeats sent and not yet heard, by number, with when they were sent.
    private final class Sent: Sendable {
        let pending = Mutex<[UInt64: ContinuousClock.Instant]>([:])
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.channel) { notifications in
                            cache.setListening(true)
                            let sent = Sent()
                            try await withThrowingTaskGroup(of: Void.self) { group in
                                group.addTask { try await sendHeartbeats(sent, listening: connection) }
                                let prefix = "heartbeat:\(replica):"
                                for try await notification in notifications {
                                    let payload = notification.payload
                                    if payload.hasPrefix("heartbeat:") {
                                        guard payload.hasPrefix(prefix), let number = UInt64(payload.dropFirst(prefix.count)),
                                              let at = sent.pending.withLock({ $0.removeValue(forKey: number) }) else { continue }
                                        cache.heardHeartbeat(sentAt: at)
                                    } else {
                                        cache.changed(payload == "*" ? nil : UUID(uuidString: payload))
                                    }
                                }
                                group.cancelAll()
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

    /// One heartbeat per interval; a failure to send just means no proof arrives, and the cache lapses.
    private func sendHeartbeats(_ sent: Sent, listening connection: PostgresConnection) async throws {
        var number: UInt64 = 0
        var sendFailing = false
        var silent = false
        while !Task.isCancelled {
            number &+= 1
            let at = ContinuousClock.now
            sent.pending.withLock { pending in
                // Unheard ones older than the staleness limit can never count again.
                pending = pending.filter { at - $0.value <= cache.heartbeat.staleAfter }
                pending[number] = at
            }
            do {
                try await withTimeout(cache.heartbeat.staleAfter) { [client, replica, number] in
                    _ = try await client.query("SELECT pg_notify(\(Self.channel), \("heartbeat:\(replica):\(number)"))")
                }
                sendFailing = false
            } catch is CancellationError {
                return
            } catch {
                if !sendFailing { logger.warning("Could not send the change listener's heartbeat", metadata: ["error": "\(Database.describe(error))"]) }
                sendFailing = true
            }
            // Said once per silence, not once per heartbeat.
            let hearing = cache.isHearing
            if !hearing, !silent, number > 2 {
                logger.warning("The change listener has not heard its own heartbeat; reads bypass the cache and readiness answers 503")
                silent = true
            } else if hearing, silent {
                logger.notice("The change listener hears its heartbeat again; the cache is in use")
                silent = false
            }
            if !hearing, cache.quietFor >= cache.heartbeat.reconnectAfter {
                logger.warning("The change listener stayed silent; closing its connection to listen on a new one")
                try? await connection.close()
                return
            }
            try await Task.sleep(for: cache.heartbeat.interval)
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
