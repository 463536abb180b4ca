import AccreditationCore
import Crypto
import Foundation
import Logging
import PostgresNIO
import StandardsCatalog
import Synchronization

/// The application row a transition works under (locked `FOR UPDATE` for the whole transaction, which also
/// serialises that application's history chain).
struct ApplicationRow: Sendable {
    let id: UUID
    let practiceID: UUID
    let releaseID: String
    let termYears: Int
    let scope: PracticeScope
    let state: String
    let version: Int
    let appealDeadline: Date?
    /// The chain head as locked; the transition writes the new head with its state change.
    var historySeq: Int = 0
    var historyHash: String = HistoryEvent.genesisHash
    /// The acting person's stored role and practice, read in the same round trip as the lock.
    var actorRecord: (id: UUID, role: String, practice: UUID?)?
}

/// Catalog releases never change once published, so their decoded content is kept in memory.
final class ReleaseCache: Sendable {
    static let shared = ReleaseCache()
    private let releases = Mutex<[String: CatalogRelease]>([:])

    func release(_ id: String, on connection: PostgresConnection, logger: Logger) async throws -> CatalogRelease {
        if let cached = releases.withLock({ $0[id] }) { return cached }
        let rows = try await connection.query("SELECT content::text FROM catalog_releases WHERE release_id = \(id)", logger: logger)
        for try await content in rows.decode(String.self) {
            let release = try CanonicalForm.decode(Data(content.utf8))
            releases.withLock { $0[id] = release }
            return release
        }
        throw WorkflowError.notFound("Catalog release \(id)")
    }
}

/// Runs one transition inside the caller's transaction: lock, check the version, gather the facts the
/// guards need, ask the table, write the new state, run the effects and append the history event.
struct TransitionEngine {
    let connection: PostgresConnection
    let logger: Logger
    let clock: any WorkflowClock
    let settings: WorkflowSettings

    var now: Date { clock.now() }

    /// Reads the application, locking its row for the rest of the transaction unless `forUpdate` is false
    /// (readers must not hold up transitions).
    func lockApplication(_ id: UUID, actor: WorkflowActor? = nil, forUpdate: Bool = true) async throws -> ApplicationRow {
        let person = actor?.id
        let rows = try await connection.query("""
            SELECT a.practice_id, a.release_id, a.term_years, a.scope::text, a.state, a.version, a.appeal_deadline,
                   a.history_seq, a.history_hash, p.role, p.practice_id
            FROM applications a LEFT JOIN people p ON p.id = \(person)
            WHERE a.id = \(id) \(unescaped: forUpdate ? "FOR UPDATE OF a" : "")
            """, logger: logger)
        for try await (practice, release, term, scope, state, version, deadline, seq, hash, role, personPractice)
            in rows.decode((UUID, String, Int, String, String, Int, Date?, Int, String, String?, UUID?).self) {
            var row = ApplicationRow(id: id, practiceID: practice, releaseID: release, termYears: term,
                                     scope: try JSONDecoder().decode(PracticeScope.self, from: Data(scope.utf8)),
                                     state: state, version: version, appealDeadline: deadline, historySeq: seq, historyHash: hash)
            if let person, let role { row.actorRecord = (person, role, personPractice) }
            return row
        }
        throw WorkflowError.notFound("Application \(id)")
    }

    /// `table` names a table with `id`, `state`, `version` (and `application_id` unless it is `applications`).
    func fire<State, Action>(
        _ machine: StateMachine<State, Action>, table: String, subjectID: UUID, action: Action, actor: WorkflowActor,
        expectedVersion: Int?, reason: String, payload: [String: String],
        extraFacts: (inout GuardFacts) async throws -> Void = { _ in }
    ) async throws -> (fired: Fired, transition: Transition<State, Action>, application: ApplicationRow) {
        let applicationID: UUID
        if table == "applications" {
            applicationID = subjectID
        } else {
            applicationID = try await owningApplication(table: table, id: subjectID)
        }
        let application = try await lockApplication(applicationID, actor: actor)
        try await authorize(actor, on: application)
        var (stateName, version) = (application.state, application.version)
        if table != "applications" {
            (stateName, version) = try await lockSubject(table: table, id: subjectID)
        }
        // A role that may never fire this action is told so before anything about versions or states.
        guard actor.role == .system || machine.roles(firing: action).contains(actor.role) else {
            throw WorkflowError.refused(.roleNotAllowed(action: action.rawValue, role: actor.role))
        }
        if let expectedVersion, expectedVersion != version {
            throw WorkflowError.stale(expected: expectedVersion, current: version)
        }
        guard let state = State(rawValue: stateName) else {
            throw WorkflowError.invalid("Stored state '\(stateName)' is not a \(machine.name) state.")
        }
        // A record changes only while its application is open (the machine's table says when).
        if machine.applicationStates != nil {
            guard let applicationState = ApplicationState(rawValue: application.state) else {
                throw WorkflowError.invalid("Stored state '\(application.state)' is not an application state.")
            }
            if let refusal = machine.checkApplication(applicationState, action: action) { throw WorkflowError.refused(refusal) }
        }
        var facts = try await gatherFacts(for: machine.guards(from: state, action: action), application: application, actor: actor)
        try await extraFacts(&facts)
        let transition: Transition<State, Action>
        switch machine.decide(from: state, action: action, role: actor.role, facts: facts) {
        case let .success(found): transition = found
        case let .failure(refusal): throw WorkflowError.refused(refusal)
        }
        let newVersion = version + 1
        // The event is written first; the new chain head then goes out with the state change, in one statement.
        let head = try await appendHistory(applicationID: applicationID, actor: actor, machine: machine.name, subjectID: subjectID,
                                           action: action.rawValue, from: state.rawValue, to: transition.to.rawValue, reason: reason,
                                           payload: payload, head: (application.historySeq, application.historyHash))
        if table == "applications" {
            _ = try await connection.query("""
                UPDATE applications SET state = \(transition.to.rawValue), version = \(newVersion), updated_at = \(now),
                                        history_seq = \(head.seq), history_hash = \(head.hash)
                WHERE id = \(subjectID) AND version = \(version)
                """, logger: logger)
        } else {
            _ = try await connection.query("""
                UPDATE \(unescaped: table) SET state = \(transition.to.rawValue), version = \(newVersion)
                WHERE id = \(subjectID) AND version = \(version)
                """, logger: logger)
            // Any change under an application counts as a change of the application.
            _ = try await connection.query("""
                UPDATE applications SET updated_at = \(now), history_seq = \(head.seq), history_hash = \(head.hash) WHERE id = \(applicationID)
                """, logger: logger)
        }
        return (Fired(state: transition.to.rawValue, version: newVersion), transition, application)
    }

    /// The actor is who they say: a person with that role (read from the database, not trusted from the
    /// caller), and practice people act only on their own practice's applications. Only the scheduler
    /// acts without a person.
    func authorize(_ actor: WorkflowActor, on application: ApplicationRow) async throws {
        guard let person = actor.id else {
            guard actor.role == .system else { throw WorkflowError.invalid("Only the scheduler acts without a person.") }
            return
        }
        guard actor.role != .system else { throw WorkflowError.invalid("A person cannot act as the scheduler.") }
        var found: (String, UUID?)?
        if let record = application.actorRecord, record.id == person {
            found = (record.role, record.practice)
        } else {
            for try await row in try await connection.query(
                "SELECT role, practice_id FROM people WHERE id = \(person)", logger: logger
            ).decode((String, UUID?).self) { found = row }
        }
        guard let (role, practice) = found else { throw WorkflowError.notFound("Person \(person)") }
        guard role == actor.role.rawValue else {
            throw WorkflowError.refused(.roleNotAllowed(action: "act as \(actor.role.rawValue)", role: Role(rawValue: role) ?? actor.role))
        }
        if actor.role.isPracticeRole, practice != application.practiceID {
            // Another practice's application does not exist as far as this person is concerned.
            throw WorkflowError.notFound("Application \(application.id)")
        }
    }

    private func owningApplication(table: String, id: UUID) async throws -> UUID {
        let rows = try await connection.query("SELECT application_id FROM \(unescaped: table) WHERE id = \(id)", logger: logger)
        for try await owner in rows.decode(UUID.self) { return owner }
        throw WorkflowError.notFound("\(table.replacingOccurrences(of: "_", with: " ")) record \(id)")
    }

    private func lockSubject(table: String, id: UUID) async throws -> (String, Int) {
        let rows = try await connection.query("SELECT state, version FROM \(unescaped: table) WHERE id = \(id) FOR UPDATE", logger: logger)
        for try await row in rows.decode((String, Int).self) { return row }
        throw WorkflowError.notFound("Record \(id)")
    }

    // MARK: - Facts

    func gatherFacts(for guards: [Guard], application: ApplicationRow, actor: WorkflowActor) async throws -> GuardFacts {
        var facts = GuardFacts()
        facts.now = now
        let needsIndicators: Set<Guard> = [.everyApplicableIndicatorAnswered, .levelOneEvidenceUploaded, .everyApplicableIndicatorScored, .levelOneCompliant]
        if guards.contains(where: needsIndicators.contains) {
            facts.indicators = try await indicatorProgress(application)
        }
        if guards.contains(.surveyTeamComplete) {
            let rows = try await connection.query("""
                SELECT p.discipline FROM assignments a JOIN people p ON p.id = a.surveyor_id
                WHERE a.application_id = \(application.id) AND a.state = 'accepted'
                """, logger: logger)
            for try await discipline in rows.decode(String.self) {
                if let value = Discipline(rawValue: discipline) { facts.acceptedTeam.append(value) }
            }
        }
        if guards.contains(.deciderIsNotSurveyor), let person = actor.id {
            let rows = try await connection.query("""
                SELECT 1 FROM assignments WHERE application_id = \(application.id) AND surveyor_id = \(person) AND state <> 'declined'
                """, logger: logger)
            for try await _ in rows { facts.actorIsSurveyorOnApplication = true }
        }
        if guards.contains(.noReaccreditationOpen) {
            for try await _ in try await connection.query(
                "SELECT 1 FROM applications WHERE previous_application_id = \(application.id)", logger: logger
            ) { facts.hasSuccessor = true }
        }
        if guards.contains(.correctiveActionsSubmitted) {
            for try await code in try await connection.query("""
                SELECT indicator_code FROM corrective_actions
                WHERE application_id = \(application.id) AND state NOT IN ('submitted', 'accepted') ORDER BY indicator_code
                """, logger: logger).decode(String.self) { facts.unsubmittedCorrectiveActions.append(code) }
        }
        facts.appealDeadline = application.appealDeadline
        return facts
    }

    func applicableIndicators(_ application: ApplicationRow) async throws -> [ApplicabilityDecision] {
        let release = try await ReleaseCache.shared.release(application.releaseID, on: connection, logger: logger)
        return release.applicability(for: application.scope).filter(\.applies)
    }

    func indicatorProgress(_ application: ApplicationRow) async throws -> [GuardFacts.IndicatorProgress] {
        let applicable = try await applicableIndicators(application)
        var responded = Set<String>()
        for try await code in try await connection.query(
            "SELECT indicator_code FROM responses WHERE application_id = \(application.id)", logger: logger
        ).decode(String.self) { responded.insert(code) }
        var evidence: [String: Int] = [:]
        for try await (code, count) in try await connection.query("""
            SELECT l.indicator_code, count(*)::int FROM evidence_links l JOIN evidence_documents d ON d.id = l.document_id
            WHERE d.application_id = \(application.id) AND d.state <> 'superseded' GROUP BY l.indicator_code
            """, logger: logger).decode((String, Int).self) { evidence[code] = count }
        var scores: [String: ScoreValue] = [:]
        for try await (code, value) in try await connection.query(
            "SELECT indicator_code, value FROM scores WHERE application_id = \(application.id)", logger: logger
        ).decode((String, String).self) { scores[code] = ScoreValue(rawValue: value) }
        return applicable.map { decision in
            let indicator = decision.indicator.indicator
            return GuardFacts.IndicatorProgress(code: indicator.code, level: indicator.level, hasResponse: responded.contains(indicator.code),
                                                evidenceCount: evidence[indicator.code] ?? 0, score: scores[indicator.code])
        }
    }

    // MARK: - History

    /// Appends one event to the application's chain. The caller holds the application row lock. Without
    /// `head`, the head is read and moved here; with it (the head as locked), the caller writes the returned
    /// new head itself, together with its own update of the application.
    @discardableResult
    func appendHistory(applicationID: UUID, actor: WorkflowActor, machine: String, subjectID: UUID, action: String,
                       from: String?, to: String, reason: String, payload: [String: String],
                       head: (seq: Int, hash: String)? = nil) async throws -> (seq: Int, hash: String) {
        var seq = (head?.seq ?? 0) + 1
        var prevHash = head?.hash ?? HistoryEvent.genesisHash
        if head == nil {
            for try await (last, hash) in try await connection.query("""
                SELECT history_seq, history_hash FROM applications WHERE id = \(applicationID)
                """, logger: logger).decode((Int, String).self) {
                seq = last + 1
                prevHash = hash
            }
        }
        let micros = Int64((now.timeIntervalSince1970 * 1_000_000).rounded())
        let payloadText = payload.isEmpty ? "{}" : CanonicalJSON.text(payload)
        guard reason.utf8.count + payloadText.utf8.count <= HistoryEvent.maximumTextBytes else {
            throw WorkflowError.invalid("The reason and payload of one history event are limited to \(HistoryEvent.maximumTextBytes / 1024) KiB together.")
        }
        let hash = Encoding.sha256Hex(HistoryEvent.hashInput(
            applicationID: applicationID, seq: seq, occurredAtMicros: micros, actorID: actor.id, actorRole: actor.role.rawValue,
            machine: machine, subjectID: subjectID, action: action, fromState: from, toState: to, reason: reason,
            payload: payloadText, prevHash: prevHash
        ))
        _ = try await connection.query("""
            INSERT INTO history_events (application_id, seq, occurred_at, actor_id, actor_role, machine, subject_id, action,
                                        from_state, to_state, reason, payload, prev_hash, hash)
            VALUES (\(applicationID), \(seq), timestamptz 'epoch' + \(micros) * interval '1 microsecond', \(actor.id), \(actor.role.rawValue),
                    \(machine), \(subjectID), \(action), \(from), \(to), \(reason), \(payloadText), \(prevHash), \(hash))
            """, logger: logger)
        if head == nil {
            _ = try await connection.query(
                "UPDATE applications SET history_seq = \(seq), history_hash = \(hash) WHERE id = \(applicationID)", logger: logger)
        }
        return (seq, hash)
    }



    // MARK: - Timers

    func addTimer(applicationID: UUID, machine: String, subjectID: UUID, action: String, due: Date) async throws {
        _ = try await connection.query("""
            INSERT INTO timers (application_id, machine, subject_id, action, due_at)
            VALUES (\(applicationID), \(machine), \(subjectID), \(action), \(due))
            """, logger: logger)
    }

    /// Cancels every pending timer of an application (its records' deadlines and reminders too), when it closes.
    func cancelTimers(applicationID: UUID) async throws {
        _ = try await connection.query("""
            UPDATE timers SET fired_at = \(now), outcome = 'cancelled'
            WHERE id IN (SELECT id FROM timers WHERE application_id = \(applicationID) AND fired_at IS NULL FOR UPDATE SKIP LOCKED)
            """, logger: logger)
    }

    /// Cancels pending timers. A timer the scheduler is firing right now is left to it (SKIP LOCKED, so
    /// the two never wait on each other); its transition no longer applies and it is marked spent.
    func cancelTimers(subjectID: UUID, action: String) async throws {
        _ = try await connection.query("""
            UPDATE timers SET fired_at = \(now), outcome = 'cancelled'
            WHERE id IN (SELECT id FROM timers WHERE subject_id = \(subjectID) AND action = \(action) AND fired_at IS NULL
                         FOR UPDATE SKIP LOCKED)
            """, logger: logger)
    }
}
