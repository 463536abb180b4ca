public import Hummingbird
import Logging
import Persistence
import PostgresNIO
import Synchronization

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
        while !cache.isReady {
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

/// Runs `body`, giving up after `limit` (a pool waiting for an unreachable server would otherwise wait
/// long). The answer comes at the limit even when `body` ignores cancellation (a query already sent to
/// a backend that hangs): `body` runs unstructured, is cancelled, and its late result is dropped.
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = Race<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.start(continuation)
            let runner = Task {
                do { race.finish(.success(try await body())) } catch { race.finish(.failure(error)) }
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                race.finish(.failure(TimedOut()))
            }
            race.track([runner, timer])
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The first of `withTimeout`'s outcomes resumes the caller; the rest are dropped and their tasks cancelled.
private final class Race<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)
    private let finished = Mutex(false)
    private let tasks = Mutex<[Task<Void, Never>]>([])

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        // Cancelled before it started: answer at once.
        guard !finished.withLock({ $0 }) else { return continuation.resume(throwing: CancellationError()) }
        self.continuation.withLock { $0 = continuation }
        if finished.withLock({ $0 }) { self.continuation.withLock { $0.take() }?.resume(throwing: CancellationError()) }
    }

    func track(_ tasks: [Task<Void, Never>]) {
        self.tasks.withLock { $0 = tasks }
        if finished.withLock({ $0 }) { tasks.forEach { $0.cancel() } }
    }

    func finish(_ result: Result<T, any Error>) {
        finished.withLock { $0 = true }
        continuation.withLock { $0.take() }?.resume(with: result)
        tasks.withLock { $0 }.forEach { $0.cancel() }
    }
}
