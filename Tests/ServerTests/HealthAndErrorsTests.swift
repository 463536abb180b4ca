import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Persistence
import PostgresNIO
import Server
import TestSupport
import Testing

@Suite struct HealthAndErrorsTests {
    static func withApp(migrated: Bool = true, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await TestDatabase.with(migrated: migrated) { database in
            var configuration = ServeConfiguration()
            configuration.port = 0
            configuration.timerInterval = nil
            let client = PostgresClient(configuration: database.settings.clientConfiguration, backgroundLogger: TestCluster.logger)
            let app = try await ApexServer.buildApplication(
                configuration: configuration, client: client, migrator: try Migrator.bundled(), logger: TestCluster.logger
            )
            try await app.test(.live, body)
        }
    }

    @Test func liveAnswersWithoutTheDatabase() async throws {
        try await Self.withApp { client in
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"status\":\"live\""))
            }
        }
    }

    @Test func readyWhenDatabaseIsMigrated() async throws {
        try await Self.withApp { client in
            // The change listener connects and hears its first heartbeat a moment after start; on a loaded
            // machine that moment is longer, so readiness is asked until it answers (or 60 s pass).
            var response = try await client.execute(uri: "/health/ready", method: .get)
            for _ in 0..<600 where response.status != .ok {
                try await Task.sleep(for: .milliseconds(100))
                response = try await client.execute(uri: "/health/ready", method: .get)
            }
            #expect(response.status == .ok)
            let body = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
            #expect(body == ["status": "ready", "database": "reachable", "migrations": "current", "change_listener": "hearing"])
        }
    }

    @Test func notReadyWhileMigrationsArePending() async throws {
        try await Self.withApp(migrated: false) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(String(buffer: response.body).contains("migrations are pending"))
            }
        }
    }

    @Test func unknownRouteIsAProblemDocument() async throws {
        try await Self.withApp { client in
            try await client.execute(uri: "/no/such/thing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["type"] as? String == "https://apex.example/problems/not-found")
                #expect(body?["status"] as? Int == 404)
                #expect(body?["detail"] as? String == "No route for GET /no/such/thing.")
            }
        }
    }

    @Test func requestIDIsEchoedOrCreated() async throws {
        try await Self.withApp { client in
            try await client.execute(uri: "/health/live", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "trace-42"]) { response in
                #expect(response.headers[HTTPField.Name("X-Request-Id")!] == "trace-42")
            }
            // A header that could forge log lines is replaced, not echoed.
            try await client.execute(uri: "/health/live", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "a b\tc"]) { response in
                let id = response.headers[HTTPField.Name("X-Request-Id")!]
                #expect(id != nil && id != "a b\tc")
            }
            try await client.execute(uri: "/nope", method: .get) { response in
                #expect(response.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
            }
        }
    }
}
