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
            try await store.fire(.fileChangeNotice, application: application, actor: Actor(id: try #require(admin), role: .practiceAdmin),
                                 expectedVersion: version, payload: ["text": "Changed through another replica."])
        }
    }
}
