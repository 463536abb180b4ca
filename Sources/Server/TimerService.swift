import AccreditationCore
import Foundation
import Logging
import Persistence
import ServiceLifecycle

/// Fires due workflow timers every `interval` while the service runs; safe beside other replicas (each
/// timer is claimed with `FOR UPDATE SKIP LOCKED`), and it catches up on start after downtime. Once an
/// hour it also sweeps evidence files no record refers to (uploads whose row never committed).
struct TimerService: Service {
    let store: WorkflowStore
    let storage: any EvidenceStorage
    let interval: Duration
    let logger: Logger
    /// Files younger than this are left alone: their upload may still be committing.
    static let orphanAge: TimeInterval = 3_600

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastSweep = ContinuousClock.now - .seconds(3_600)
            while !Task.isCancelled {
                do {
                    let run = try await store.fireDueTimers()
                    if run.fired + run.skipped > 0 {
                        logger.info("Fired due timers", metadata: ["fired": "\(run.fired)", "skipped": "\(run.skipped)"])
                    }
                    if ContinuousClock.now - lastSweep >= .seconds(3_600) {
                        lastSweep = .now
                        let removed = try await storage.sweep(referenced: try await store.referencedDigests(), olderThan: Self.orphanAge)
                        if removed > 0 { logger.info("Swept orphaned evidence files", metadata: ["removed": "\(removed)"]) }
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
