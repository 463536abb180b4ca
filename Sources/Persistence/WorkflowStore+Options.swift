public import AccreditationCore
public import Foundation

/// What a person may do on an application now, answered by the domain's tables on the facts read in one
/// read-only transaction. Pages show buttons from this; the commands ask the same tables again inside
/// their own transaction, so an option shown a moment ago can still be refused (and says why).
public struct ActionOptions: Sendable, Equatable {
    /// One application transition from the current state that the person's role may fire.
    public struct Transition: Sendable, Equatable {
        public let action: ApplicationAction
        /// nil when every guard holds now; else the first refusing guard's reason, in words.
        public let blockedBecause: String?
        /// Indicator codes the refusal concerns (for linking them), empty when none.
        public let concerns: [String]
    }

    public let applicationState: ApplicationState
    public let version: Int
    public let transitions: [Transition]
    /// Record actions (respond, add evidence, …) with the decision for this person in this state.
    public let records: [RecordAction: Decision]

    public func allows(_ action: RecordAction) -> Bool { records[action] == .allowed }
}

extension WorkflowStore {
    /// The transitions from the application's current state that `actor`'s role may fire (the system's
    /// timer actions excluded), each with its guard outcome, and the record-action decisions.
    /// Throws `WorkflowError.notFound` when there is no such application; visibility is the caller's check.
    public func actionOptions(application id: UUID, actor: WorkflowActor) async throws -> ActionOptions {
        try await transaction { engine in
            let application = try await engine.lockApplication(id, actor: actor, forUpdate: false)
            guard let state = ApplicationState(rawValue: application.state) else {
                throw CorruptRecord("Application \(id) has the unknown state '\(application.state)'.")
            }
            var transitions: [ActionOptions.Transition] = []
            for transition in Workflows.application.transitions where transition.from.contains(state) && transition.roles.contains(actor.role) {
                let facts = try await engine.gatherFacts(for: transition.guards, application: application, actor: actor)
                switch Workflows.application.decide(from: state, action: transition.action, role: actor.role, facts: facts) {
                case .success:
                    transitions.append(.init(action: transition.action, blockedBecause: nil, concerns: []))
                case let .failure(.guardFailed(rule, reason)):
                    transitions.append(.init(action: transition.action, blockedBecause: reason, concerns: rule.concerns(facts)))
                case .failure:
                    continue
                }
            }
            var records: [RecordAction: Decision] = [:]
            for action in RecordAction.allCases {
                records[action] = RecordActions.decide(action, role: actor.role, applicationState: state)
            }
            return ActionOptions(applicationState: state, version: application.version, transitions: transitions, records: records)
        }
    }
}

extension WorkflowStore {
    /// A published catalog release (decoded once per process; releases never change once published).
    /// Throws `WorkflowError.notFound` for an unknown release.
    public func release(_ id: String) async throws -> CatalogRelease {
        try await client.withConnection { connection in
            try await ReleaseCache.shared.release(id, on: connection, logger: logger)
        }
    }

    /// The pending timers of an application by action name (e.g. `lapse-self-assessment` → when the
    /// self-assessment window ends), earliest first.
    public func pendingTimers(application id: UUID) async throws -> [(action: String, dueAt: Date)] {
        var result: [(action: String, dueAt: Date)] = []
        for try await (action, due) in try await client.query("""
            SELECT action, due_at FROM timers WHERE application_id = \(id) AND fired_at IS NULL ORDER BY due_at
            """, logger: logger).decode((String, Date).self) { result.append((action, due)) }
        return result
    }
}

extension WorkflowStore {
    /// Every indicator of the application's release, each with whether it applies to the scope the
    /// application was made with, and why (or why not).
    public func applicableIndicatorsAndOthers(application id: UUID) async throws -> [ApplicabilityDecision] {
        try await transaction { engine in
            let application = try await engine.lockApplication(id, forUpdate: false)
            return try await ReleaseCache.shared.release(application.releaseID, on: engine.connection, logger: logger)
                .applicability(for: application.scope)
        }
    }
}
