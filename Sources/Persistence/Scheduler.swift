import AccreditationCore
import Foundation
import Logging
import PostgresNIO

/// Fires due timers as system transitions. Each timer is claimed with `FOR UPDATE SKIP LOCKED` inside the
/// transaction that fires it, so several replicas can run schedulers side by side and each timer fires
/// once; after downtime the overdue timers fire in the order they fell due.
extension WorkflowStore {
    public struct TimerRun: Sendable, Equatable {
        public var fired = 0
        /// Timers whose transition no longer applied (e.g. the application was withdrawn meanwhile).
        public var skipped = 0

        public init(fired: Int = 0, skipped: Int = 0) {
            self.fired = fired
            self.skipped = skipped
        }
    }

    public func fireDueTimers(limit: Int = 1000) async throws -> TimerRun {
        var run = TimerRun()
        while run.fired + run.skipped < limit {
            let outcome: String? = try await transaction { engine in
                let now = engine.now
                var claimed: (Int64, UUID, String, UUID, String)?
                for try await row in try await engine.connection.query("""
                    SELECT id, application_id, machine, subject_id, action FROM timers
                    WHERE fired_at IS NULL AND due_at <= \(now)
                    ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
                    """, logger: logger).decode((Int64, UUID, String, UUID, String).self) { claimed = row }
                guard let (timer, application, machine, subject, action) = claimed else { return nil }
                let result: String
                do {
                    try await fireSystem(engine, machine: machine, action: action, subject: subject, application: application)
                    result = "fired"
                } catch let error as WorkflowError {
                    // A timer whose transition no longer applies is spent, not retried forever.
                    result = "skipped: \(error)"
                } catch {
                    // Any other failure (rolled back to the savepoint) is recorded too, so one bad timer
                    // cannot hold up every timer due after it. A lost connection aborts the round instead.
                    logger.error("Timer failed", metadata: ["timer": "\(timer)", "error": "\(Database.describe(error))"])
                    result = "failed: \(Database.describe(error))"
                }
                _ = try await engine.connection.query(
                    "UPDATE timers SET fired_at = \(now), outcome = \(result) WHERE id = \(timer)", logger: logger)
                return result
            }
            guard let outcome else { break }
            if outcome == "fired" { run.fired += 1 } else { run.skipped += 1 }
        }
        return run
    }

    /// Runs one timer's transition on the claiming transaction. A refusal is caught by a savepoint so the
    /// timer can still be marked as spent.
    private func fireSystem(_ engine: TransitionEngine, machine: String, action: String, subject: UUID, application: UUID) async throws {
        _ = try await engine.connection.query("SAVEPOINT timer", logger: logger)
        do {
            switch machine {
            case Workflows.application.name:
                guard let action = ApplicationAction(rawValue: action) else { throw WorkflowError.invalid("unknown action \(action)") }
                _ = try await fire(engine, action, application: subject, actor: .system, expectedVersion: nil,
                                   reason: "Deadline reached.", payload: [:])
            case Workflows.rfi.name:
                guard let action = Workflows.RFIAction(rawValue: action) else { throw WorkflowError.invalid("unknown action \(action)") }
                _ = try await engine.fire(Workflows.rfi, table: "rfis", subjectID: subject, action: action, actor: .system,
                                          expectedVersion: nil, reason: "Deadline reached.", payload: [:])
            case Workflows.correctiveAction.name:
                guard let action = Workflows.CorrectiveActionAction(rawValue: action) else { throw WorkflowError.invalid("unknown action \(action)") }
                _ = try await engine.fire(Workflows.correctiveAction, table: "corrective_actions", subjectID: subject, action: action,
                                          actor: .system, expectedVersion: nil, reason: "Deadline reached.", payload: [:])
            default:
                throw WorkflowError.invalid("unknown machine \(machine)")
            }
            _ = try await engine.connection.query("RELEASE SAVEPOINT timer", logger: logger)
        } catch {
            _ = try await engine.connection.query("ROLLBACK TO SAVEPOINT timer", logger: logger)
            throw error
        }
    }
}
