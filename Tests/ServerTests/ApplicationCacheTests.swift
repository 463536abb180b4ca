import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Persistence
import Synchronization
import TestSupport
import Testing

/// Reads of an application may come from memory, but never older than what has been committed and
/// announced: a change made elsewhere (another replica, the scheduler) shows up as soon as PostgreSQL
/// announces it, and a caller always reads its own writes.
@Suite struct ApplicationCacheTests {
    @Test func changesFromElsewhereAndOwnWritesAreSeen() async throws {
        let database = Mutex<DatabaseSettings?>(nil)
        try await TestApp.run(publish: [TestApp.rptRelease], seed: { settings in database.withLock { $0 = settings } }, demo: true) { client in
            let api = API(client: client)
            let admin = try await api.login("admin@lakeside.example", .demoPassword)
            let id = try #require(try await api.call(.get, "/api/v1/applications", token: admin).items.first?["id"] as? String)
            let path = "/api/v1/applications/\(id)"
            // Give the listener a moment to be connected, then read twice (the second read may be cached).
            try await Task.sleep(for: .milliseconds(300))
            let first = try await api.call(.get, path, token: admin)
            let cached = try await api.call(.get, path, token: admin)
            // A copy served from memory is byte for byte the answer the operation gave.
            #expect(cached.body == first.body)
            #expect(cached.headers[.eTag] == first.headers[.eTag] && cached.headers[.contentType] == first.headers[.contentType])
            // Other tenants still get 404 for a cached application.
            let other = try await api.login("admin@mesa.example", .demoPassword)
            #expect(try await api.call(.get, path, token: other).status == .notFound)

            // Own write: the next read shows it at once.
            let fired = try await api.call(.post, path + "/transitions", token: admin,
                                            json: ["action": "file-change-notice", "payload": ["text": "New hot lab."]],
                                            headers: [.ifMatch: first.headers[.eTag]!])
            #expect(fired.status == .ok)
            #expect(try await api.call(.get, path, token: admin).headers[.eTag] == fired.headers[.eTag])

            // A change committed by someone else reaches this apex through PostgreSQL's announcement.
            let version = try #require(fired.json["version"] as? Int)
            try await Self.changeElsewhere(database.withLock { $0 }, application: UUID(uuidString: id)!, version: version)
            var seen = ""
            for _ in 0..<50 {
                seen = try await api.call(.get, path, token: admin).headers[.eTag] ?? ""
                if seen == "\"v\(version + 1)\"" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(seen == "\"v\(version + 1)\"", "the announced change replaces the cached copy")
        }
    }

    static func changeElsewhere(_ settings: DatabaseSettings?, application: UUID, version: Int) async throws {
        let settings = try #require(settings)
        try await Database.withClient(settings, logger: TestCluster.logger) { client in
            let store = WorkflowStore(client: client, logger: TestCluster.logger)
            var admin: UUID?
            for try await id in try await client.query("SELECT id FROM people WHERE email = 'admin@lakeside.example'", logger: TestCluster.logger).decode(UUID.self) {
                admin = id
            }
            try await store.fire(.fileChangeNotice, application: application, actor: WorkflowActor(id: try #require(admin), role: .practiceAdmin),
                                 expectedVersion: version, payload: ["text": "Changed through another replica."])
        }
    }
}

/// A listener whose connection stays open but stops delivering (its backend frozen with SIGSTOP) is
/// noticed by its own heartbeat: the cache is bypassed, so a change made elsewhere is read at once,
/// and readiness answers 503 until the listener hears again.
@Suite struct SilentListenerTests {
    @Test func aFrozenListenerStopsTheCacheAndReadiness() async throws {
        let database = Mutex<DatabaseSettings?>(nil)
        try await TestApp.run(publish: [TestApp.rptRelease], configure: { configuration in
            configuration.listenerHeartbeat.interval = .milliseconds(100)
            configuration.listenerHeartbeat.staleAfter = .milliseconds(700)
            configuration.listenerHeartbeat.unreadyAfter = .milliseconds(1500)
            configuration.listenerHeartbeat.reconnectAfter = .seconds(20)
        }, seed: { settings in database.withLock { $0 = settings } }, demo: true) { client in
            let api = API(client: client)
            let admin = try await api.login("admin@lakeside.example", .demoPassword)
            let id = try #require(try await api.call(.get, "/api/v1/applications", token: admin).items.first?["id"] as? String)
            let path = "/api/v1/applications/\(id)"
            // Timings this short can lapse on a busy machine by themselves: wait until ready first.
            var initial = HTTPResponse.Status.serviceUnavailable
            for _ in 0..<100 where initial != .ok {
                initial = try await api.call(.get, "/health/ready").status
                if initial != .ok { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(initial == .ok)
            let first = try await api.call(.get, path, token: admin)
            _ = try await api.call(.get, path, token: admin)   // now cached
            let version = try #require(first.json["version"] as? Int)

            let settings = try #require(database.withLock { $0 })
            let listener = try await Self.listenerPID(settings)
            #expect(kill(listener, SIGSTOP) == 0)
            do {
                try await ApplicationCacheTests.changeElsewhere(settings, application: UUID(uuidString: id)!, version: version)
                // Within the staleness limit (and a little), the new version is read from the database.
                var seen = ""
                for _ in 0..<40 {
                    seen = try await api.call(.get, path, token: admin).headers[.eTag] ?? ""
                    if seen == "\"v\(version + 1)\"" { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(seen == "\"v\(version + 1)\"", "a silent listener must not keep the old copy in use")
                // Readiness gives a busy pool a little longer than the cache does.
                var ready = try await api.call(.get, "/health/ready")
                for _ in 0..<30 where ready.status == .ok {
                    try await Task.sleep(for: .milliseconds(100))
                    ready = try await api.call(.get, "/health/ready")
                }
                #expect(ready.status == .serviceUnavailable, "\(ready.text)")
                #expect(ready.text.contains("change listener"))
            } catch {
                kill(listener, SIGCONT)
                throw error
            }
            #expect(kill(listener, SIGCONT) == 0)
            var status = HTTPResponse.Status.serviceUnavailable
            for _ in 0..<50 where status != .ok {
                status = try await api.call(.get, "/health/ready").status
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(status == .ok, "readiness recovers once the listener hears again")
        }
    }

    /// A listener that stays silent past `reconnectAfter` is replaced by a new connection, so the
    /// replica recovers on its own while the old backend is still frozen.
    @Test func aSilentListenerIsReplacedByANewConnection() async throws {
        let database = Mutex<DatabaseSettings?>(nil)
        try await TestApp.run(configure: { configuration in
            configuration.listenerHeartbeat.interval = .milliseconds(100)
            configuration.listenerHeartbeat.staleAfter = .milliseconds(500)
            configuration.listenerHeartbeat.unreadyAfter = .milliseconds(800)
            configuration.listenerHeartbeat.reconnectAfter = .seconds(2)
        }, seed: { settings in database.withLock { $0 = settings } }) { client in
            let api = API(client: client)
            // Timings this short can lapse on a busy machine by themselves: wait until ready first.
            var status = HTTPResponse.Status.serviceUnavailable
            for _ in 0..<100 where status != .ok {
                status = try await api.call(.get, "/health/ready").status
                if status != .ok { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == .ok)
            let settings = try #require(database.withLock { $0 })
            // The listener may reconnect on its own on a busy machine: freeze the backend that is listening now.
            var listener: Int32 = 0
            for _ in 0..<20 {
                listener = try await Self.listenerPID(settings)
                if kill(listener, SIGSTOP) == 0 { break }
                listener = 0
            }
            #expect(listener != 0, "a listening backend to freeze")
            defer { if listener != 0 { kill(listener, SIGCONT) } }
            var sawUnready = false
            var readyAgain = false
            for _ in 0..<300 {
                let status = try await api.call(.get, "/health/ready").status
                if status == .serviceUnavailable { sawUnready = true }
                if sawUnready, status == .ok { readyAgain = true; break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(sawUnready && readyAgain, "silent, then listening again on a new connection")
        }
    }

    /// The backend process of this test database's listening connection. On a busy machine the listener
    /// may be reconnecting just now, so it is looked for for a few seconds.
    static func listenerPID(_ settings: DatabaseSettings) async throws -> Int32 {
        let admin = try await TestCluster.shared.adminSettings().with(database: settings.database)
        return try await Database.withClient(admin, logger: TestCluster.logger) { client in
            for _ in 0..<50 {
                for try await pid in try await client.query("""
                    SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND state = 'idle'
                    """, logger: TestCluster.logger).decode(Int32.self) { return pid }
                try await Task.sleep(for: .milliseconds(100))
            }
            return try #require(nil as Int32?, "the listener's backend")
        }
    }
}
