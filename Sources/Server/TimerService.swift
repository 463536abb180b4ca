import AccreditationCore
import Logging
import Persistence
import ServiceLifecycle

/// Fires due workflow timers every `interval` while the service runs; safe beside other replicas (each
/// timer is claimed with `FOR UPDATE SKIP LOCKED`), and it catches up on start after downtime.
struct TimerService: Service {
    let store: WorkflowStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let run = try await store.fireDueTimers()
                    if run.fired + run.skipped > 0 {
                        logger.info("Fired due timers", metadata: ["fired": "\(run.fired)", "skipped": "\(run.skipped)"])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    // A failed round is retried on the next tick; the timers stay due.
                    logger.error("Timer round failed", metadata: ["error": "\(Database.describe(error))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
