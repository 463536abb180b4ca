public import Hummingbird
import Logging
import Persistence
import PostgresNIO

/// `/health/live`: the process answers. `/health/ready`: the database answers and every migration of
/// this build is applied, and the change listener hears PostgreSQL's announcements (its own heartbeat
/// came back recently), so a load balancer only routes to replicas that can do real work and that do not
/// serve stale copies.
struct HealthController: Sendable {
    let client: PostgresClient
    let migrator: Migrator
    let cache: ApplicationCache

    struct Status: ResponseEncodable {
        let status: String
        let database: String?
        let migrations: String?
        let changeListener: String?

        enum CodingKeys: String, CodingKey {
            case status, database, migrations
            case changeListener = "change_listener"
        }
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("live") { _, _ in Status(status: "live", database: nil, migrations: nil, changeListener: nil) }
        group.get("ready") { _, context in try await ready(context: context) }
    }

    private func ready(context: AppRequestContext) async throws -> Status {
        let current: Bool
        do {
            current = try await withTimeout(.seconds(3)) { [client, migrator] in
                try await migrator.isCurrent(on: client, logger: context.logger)
            }
        } catch let error as MigrationError {
            context.logger.warning("Readiness check failed", metadata: ["reason": "\(error)"])
            throw Problem.serviceUnavailable(error.description)
        } catch {
            context.logger.warning("Readiness check failed", metadata: ["reason": "\(Database.describe(error))"])
            throw Problem.serviceUnavailable("The database is not reachable.")
        }
        guard current else {
            throw Problem.serviceUnavailable("Database migrations are pending; run `apex migrate`.")
        }
        // Just after start the first heartbeat is on its way: give it up to the staleness limit.
        let deadline = ContinuousClock.now + cache.heartbeat.staleAfter
        while !cache.isHearing {
            guard ContinuousClock.now < deadline else {
                context.logger.warning("Readiness check failed", metadata: ["reason": "change listener silent"])
                throw Problem.serviceUnavailable(
                    "This replica's change listener has not heard its own heartbeat from PostgreSQL recently; it would serve stale copies, so it is not ready.")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return Status(status: "ready", database: "reachable", migrations: "current", changeListener: "hearing")
    }
}

struct TimedOut: Error {}

/// Runs `body`, giving up after `limit` (a pool waiting for an unreachable server would otherwise wait long).
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimedOut()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
