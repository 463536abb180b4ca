public import Hummingbird
import Logging
import Persistence
import PostgresNIO

/// `/health/live`: the process answers. `/health/ready`: the database answers and every migration of
/// this build is applied, so a load balancer only routes to replicas that can do real work.
struct HealthController: Sendable {
    let client: PostgresClient
    let migrator: Migrator

    struct Status: ResponseEncodable {
        let status: String
        let database: String?
        let migrations: String?
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("live") { _, _ in Status(status: "live", database: nil, migrations: nil) }
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
        return Status(status: "ready", database: "reachable", migrations: "current")
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
