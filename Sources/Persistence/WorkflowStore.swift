public import AccreditationCore
public import Foundation
public import Logging
public import PostgresNIO

/// The accreditation workflow over PostgreSQL: records, guarded transitions (one transaction each, with
/// their history event and effects), scores, and the timers the scheduler fires.
public struct WorkflowStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    public let clock: any WorkflowClock
    public let settings: WorkflowSettings

    public init(client: PostgresClient, logger: Logger, clock: any WorkflowClock = SystemClock(), settings: WorkflowSettings = .init()) {
        self.client = client
        self.logger = logger
        self.clock = clock
        self.settings = settings
    }

    /// One transaction with a transition engine on its connection.
    /// A refusal inside the transaction comes out as itself, not wrapped: the transaction was rolled back.
    func transaction<T: Sendable>(_ body: (TransitionEngine) async throws -> T) async throws -> T {
        try await client.transaction(logger: logger) { connection in
            try await body(TransitionEngine(connection: connection, logger: logger, clock: clock, settings: settings))
        }
    }

    // MARK: - Practices and people

    public func createPractice(_ practice: PracticeRecord, facilities: [FacilityRecord]) async throws -> UUID {
        guard !practice.legalName.trimmingCharacters(in: .whitespaces).isEmpty else { throw WorkflowError.invalid("A practice needs a legal name.") }
        guard facilities.filter(\.isMain).count == 1 else { throw WorkflowError.invalid("A practice has exactly one main facility.") }
        let id = UUID()
        let scope = String(decoding: try JSONEncoder().encode(practice.scope), as: UTF8.self)
        let now = clock.now()
        try await client.withTransaction(logger: logger) { connection in
            _ = try await connection.query("""
                INSERT INTO practices (id, legal_name, address, licence_number, regulator, scope, created_at)
                VALUES (\(id), \(practice.legalName), \(practice.address), \(practice.licenceNumber), \(practice.regulator), \(scope)::jsonb, \(now))
                """, logger: logger)
            for facility in facilities {
                _ = try await connection.query("""
                    INSERT INTO facilities (id, practice_id, name, address, is_main, distance_miles)
                    VALUES (\(UUID()), \(id), \(facility.name), \(facility.address), \(facility.isMain), \(facility.distanceMiles))
                    """, logger: logger)
            }
        }
        return id
    }

    public func facilities(of practiceID: UUID) async throws -> [(id: UUID, name: String)] {
        var result: [(UUID, String)] = []
        for try await row in try await client.query("SELECT id, name FROM facilities WHERE practice_id = \(practiceID) ORDER BY is_main DESC, name", logger: logger).decode((UUID, String).self) {
            result.append(row)
        }
        return result
    }

    public func createPerson(email: String, name: String, role: Role, practiceID: UUID? = nil, discipline: Discipline? = nil) async throws -> UUID {
        if let problem = RoleAssignment(role: role, practiceID: practiceID, discipline: discipline).consistencyProblem {
            throw WorkflowError.invalid(problem)
        }
        // The one canonical form of an address (see `EmailAddress`), whoever calls.
        let canonical: String
        do { canonical = try EmailAddress(email).canonical } catch { throw WorkflowError.invalid(error.description) }
        let id = UUID()
        _ = try await client.query("""
            INSERT INTO people (id, email, display_name, role, practice_id, discipline, created_at)
            VALUES (\(id), \(canonical), \(name), \(role.rawValue), \(practiceID), \(discipline?.rawValue), \(clock.now()))
            """, logger: logger)
        return id
    }

    /// A surveyor's declared tie to a practice or one of its facilities; it blocks assignment there.
    public func declareAffiliation(surveyor: UUID, practiceID: UUID? = nil, facilityID: UUID? = nil, nature: String) async throws {
        guard practiceID != nil || facilityID != nil else { throw WorkflowError.invalid("An affiliation names a practice or a facility.") }
        guard !nature.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw WorkflowError.invalid("Say what the tie is.") }
        // One statement: it inserts only when the person surveys and the practice or facility exists.
        let rows = try await client.query("""
            INSERT INTO affiliations (person_id, practice_id, facility_id, nature)
            SELECT \(surveyor), \(practiceID), \(facilityID), \(nature)
            WHERE EXISTS (SELECT 1 FROM people WHERE id = \(surveyor) AND discipline IS NOT NULL)
              AND (\(practiceID)::uuid IS NULL OR EXISTS (SELECT 1 FROM practices WHERE id = \(practiceID)))
              AND (\(facilityID)::uuid IS NULL OR EXISTS (SELECT 1 FROM facilities WHERE id = \(facilityID)
                                                         AND (\(practiceID)::uuid IS NULL OR practice_id = \(practiceID))))
            RETURNING person_id
            """, logger: logger)
        for try await _ in rows { return }
        throw WorkflowError.notFound("Surveyor \(surveyor), or the practice or facility named,")
    }

    // MARK: - Applications

    /// A new application in `draft`, pinned to a published (not retired) release.
    public func createApplication(practiceID: UUID, releaseID: String, pathway: Pathway, termYears: Int, actor: WorkflowActor,
                                  previous: UUID? = nil) async throws -> UUID {
        try await transaction { engine in
            try await createApplication(engine, practiceID: practiceID, releaseID: releaseID, pathway: pathway,
                                        termYears: termYears, actor: actor, previous: previous)
        }
    }

    func createApplication(_ engine: TransitionEngine, practiceID: UUID, releaseID: String, pathway: Pathway, termYears: Int,
                           actor: WorkflowActor, previous: UUID?) async throws -> UUID {
        guard [3, 4].contains(termYears) else { throw WorkflowError.invalid("The accreditation term is 3 or 4 years.") }
        var status: String?
        for try await value in try await engine.connection.query(
            "SELECT status FROM catalog_releases WHERE release_id = \(releaseID)", logger: logger
        ).decode(String.self) { status = value }
        guard let status else { throw WorkflowError.notFound("Catalog release \(releaseID)") }
        guard status == ReleaseStatus.published.rawValue else {
            throw WorkflowError.invalid("Catalog release \(releaseID) is \(status); new applications use a published release.")
        }
        var scope: String?
        for try await value in try await engine.connection.query(
            "SELECT scope::text FROM practices WHERE id = \(practiceID)", logger: logger
        ).decode(String.self) { scope = value }
        guard let scope else { throw WorkflowError.notFound("Practice \(practiceID)") }
        let id = UUID()
        if actor.role != .system {
            guard RecordActions.applicationCreators.contains(actor.role) else {
                throw WorkflowError.refused(.roleNotAllowed(action: "create-application", role: actor.role))
            }
            try await engine.authorize(actor, on: ApplicationRow(id: id, practiceID: practiceID, releaseID: releaseID, termYears: termYears,
                                                                  scope: PracticeScope(agents: []), state: "", version: 0, appealDeadline: nil))
        }
        let now = engine.now
        _ = try await engine.connection.query("""
            INSERT INTO applications (id, practice_id, release_id, pathway, term_years, scope, state, previous_application_id, created_at, updated_at)
            VALUES (\(id), \(practiceID), \(releaseID), \(pathway.rawValue), \(termYears), \(scope)::jsonb,
                    \(Workflows.application.initial.rawValue), \(previous), \(now), \(now))
            """, logger: logger)
        var payload = ["release": releaseID, "pathway": pathway.rawValue, "term_years": String(termYears)]
        if let previous { payload["previous_application"] = previous.uuidString }
        try await engine.appendHistory(applicationID: id, actor: actor, machine: Workflows.application.name, subjectID: id,
                                       action: "create", from: nil, to: Workflows.application.initial.rawValue, reason: "", payload: payload)
        return id
    }

    /// Fires an application transition. `expectedVersion` is the version the caller saw: a stale one is a
    /// conflict, never a lost update. `payload` carries the action's details (visit date, appeal grounds …).
    @discardableResult
    public func fire(_ action: ApplicationAction, application id: UUID, actor: WorkflowActor, expectedVersion: Int?,
                     reason: String = "", payload: [String: String] = [:]) async throws -> Fired {
        try await transaction { engine in
            try await fire(engine, action, application: id, actor: actor, expectedVersion: expectedVersion, reason: reason, payload: payload)
        }
    }

    func fire(_ engine: TransitionEngine, _ action: ApplicationAction, application id: UUID, actor: WorkflowActor, expectedVersion: Int?,
              reason: String, payload: [String: String]) async throws -> Fired {
        // Who may fire the action at all is answered before what its payload lacks.
        guard actor.role == .system || Workflows.application.roles(firing: action).contains(actor.role) else {
            throw WorkflowError.refused(.roleNotAllowed(action: action.rawValue, role: actor.role))
        }
        let visit = action == .scheduleVisit ? try Self.visitDetails(payload) : nil
        if [.appeal, .fileChangeNotice].contains(action), payload["text"]?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true {
            throw WorkflowError.invalid("'\(action.rawValue)' needs a 'text' (the grounds or the change).")
        }
        let (fired, transition, application) = try await engine.fire(
            Workflows.application, table: "applications", subjectID: id, action: action, actor: actor,
            expectedVersion: expectedVersion, reason: reason, payload: payload
        )
        if let visit {
            _ = try await engine.connection.query("""
                INSERT INTO visits (application_id, mode, visit_date) VALUES (\(id), \(visit.mode.rawValue), \(visit.date.description)::date)
                ON CONFLICT (application_id) DO UPDATE SET mode = excluded.mode, visit_date = excluded.visit_date
                """, logger: logger)
        }
        try await recordDecision(engine, action: action, application: application, actor: actor, reason: reason, payload: payload)
        for effect in transition.effects {
            try await apply(effect, engine: engine, application: application, actor: actor)
        }
        return fired
    }

    static func visitDetails(_ payload: [String: String]) throws -> (mode: VisitMode, date: CalendarDate) {
        guard let mode = payload["mode"].flatMap(VisitMode.init(rawValue:)) else {
            throw WorkflowError.invalid("'schedule-visit' needs mode: on-site or virtual.")
        }
        guard let text = payload["date"], let date = CalendarDate(text) else {
            throw WorkflowError.invalid("'schedule-visit' needs date: a calendar date, YYYY-MM-DD.")
        }
        return (mode, date)
    }

    /// Determinations, appeals and change notices are records as well as transitions.
    private func recordDecision(_ engine: TransitionEngine, action: ApplicationAction, application: ApplicationRow,
                                actor: WorkflowActor, reason: String, payload: [String: String]) async throws {
        let outcome: Determination? = switch action {
        case .accredit: .accredited
        case .grantProvisional: .provisional
        case .deny: .denied
        default: nil
        }
        if let outcome, let person = actor.id {
            let report = try await scoreReport(engine, application: application)
            let recommendation = CanonicalJSON.text([
                "determination": report.recommendation.determination?.rawValue ?? "none",
                "drivers": report.recommendation.drivers.joined(separator: ","),
                "explanation": report.recommendation.explanation,
            ])
            _ = try await engine.connection.query("""
                INSERT INTO determinations (id, application_id, outcome, recommendation, rationale, decided_by, decided_at)
                VALUES (\(UUID()), \(application.id), \(outcome.rawValue), \(recommendation)::jsonb, \(reason), \(person), \(engine.now))
                """, logger: logger)
        }
        if action == .appeal, let person = actor.id {
            _ = try await engine.connection.query("""
                INSERT INTO appeals (id, application_id, grounds, filed_by, filed_at) VALUES (\(UUID()), \(application.id), \(payload["text"] ?? ""), \(person), \(engine.now))
                """, logger: logger)
        }
        if action == .fileChangeNotice, let person = actor.id {
            _ = try await engine.connection.query("""
                INSERT INTO change_notices (id, application_id, description, filed_by, filed_at) VALUES (\(UUID()), \(application.id), \(payload["text"] ?? ""), \(person), \(engine.now))
                """, logger: logger)
        }
    }

    private func apply(_ effect: Effect, engine: TransitionEngine, application: ApplicationRow, actor: WorkflowActor) async throws {
        let now = engine.now
        let day = 86_400.0
        let machine = Workflows.application.name
        switch effect {
        case .openSelfAssessmentWindow:
            try await engine.addTimer(applicationID: application.id, machine: machine, subjectID: application.id,
                                      action: ApplicationAction.lapseSelfAssessment.rawValue,
                                      due: now.addingTimeInterval(Double(settings.selfAssessmentWindowDays) * day))
        case .closeSelfAssessmentWindow:
            try await engine.cancelTimers(subjectID: application.id, action: ApplicationAction.lapseSelfAssessment.rawValue)
        case .startTerm:
            guard let term = TermPlan(decidedAt: now, years: application.termYears, reminderDays: settings.expiryReminderDays) else {
                throw WorkflowError.invalid("A \(application.termYears)-year term from \(CalendarDate(utcDayOf: now)) would end after year 9999.")
            }
            _ = try await engine.connection.query("""
                UPDATE applications SET term_start = \(term.start.description)::date, term_end = \(term.end.description)::date
                WHERE id = \(application.id)
                """, logger: logger)
            for due in term.reminders {
                try await engine.addTimer(applicationID: application.id, machine: machine, subjectID: application.id,
                                          action: ApplicationAction.remindExpiry.rawValue, due: due)
            }
            try await engine.addTimer(applicationID: application.id, machine: machine, subjectID: application.id,
                                      action: ApplicationAction.expire.rawValue, due: term.expiresAt)
        case .openAppealWindow:
            // A window from an earlier denial (before an appeal sent it back to committee) is over.
            try await engine.cancelTimers(subjectID: application.id, action: ApplicationAction.closeAppealWindow.rawValue)
            let deadline = now.addingTimeInterval(Double(settings.appealWindowDays) * day)
            _ = try await engine.connection.query("UPDATE applications SET appeal_deadline = \(deadline) WHERE id = \(application.id)", logger: logger)
            try await engine.addTimer(applicationID: application.id, machine: machine, subjectID: application.id,
                                      action: ApplicationAction.closeAppealWindow.rawValue, due: deadline)
        case .setCorrectiveActionDue:
            // One corrective action per applicable indicator that is not compliant, each with its own deadline.
            let due = now.addingTimeInterval(Double(settings.correctiveActionDays) * day)
            var open = Set<String>()
            for try await code in try await engine.connection.query(
                "SELECT indicator_code FROM corrective_actions WHERE application_id = \(application.id) AND state <> 'accepted'", logger: logger
            ).decode(String.self) { open.insert(code) }
            for progress in try await engine.indicatorProgress(application)
            where (progress.score == .nonCompliant || progress.score == .partiallyCompliant) && !open.contains(progress.code) {
                let itemID = UUID()
                _ = try await engine.connection.query("""
                    INSERT INTO corrective_actions (id, application_id, indicator_code, description, state, due_at, created_at)
                    VALUES (\(itemID), \(application.id), \(progress.code), \("Bring \(progress.code) to compliance."),
                            \(Workflows.correctiveAction.initial.rawValue), \(due), \(now))
                    """, logger: logger)
                try await engine.appendHistory(applicationID: application.id, actor: actor, machine: Workflows.correctiveAction.name,
                                               subjectID: itemID, action: "create", from: nil, to: Workflows.correctiveAction.initial.rawValue,
                                               reason: "", payload: ["indicator": progress.code])
                try await engine.addTimer(applicationID: application.id, machine: Workflows.correctiveAction.name, subjectID: itemID,
                                          action: Workflows.CorrectiveActionAction.markOverdue.rawValue, due: due)
            }
        case .openReaccreditationCycle:
            // The next cycle uses the newest published release of the same catalog.
            var release = application.releaseID
            let catalog = String(release.split(separator: "@").first ?? "")
            for try await latest in try await engine.connection.query("""
                SELECT release_id FROM catalog_releases WHERE catalog_id = \(catalog) AND status = 'published'
                ORDER BY effective_on DESC, version DESC LIMIT 1
                """, logger: logger).decode(String.self) { release = latest }
            var pathway = Pathway.rptStandalone.rawValue
            for try await value in try await engine.connection.query(
                "SELECT pathway FROM applications WHERE id = \(application.id)", logger: logger
            ).decode(String.self) { pathway = value }
            let next = try await createApplication(engine, practiceID: application.practiceID, releaseID: release,
                                                   pathway: Pathway(rawValue: pathway) ?? .rptStandalone, termYears: application.termYears,
                                                   actor: actor, previous: application.id)
            logger.info("Opened a reaccreditation cycle", metadata: ["previous": "\(application.id)", "next": "\(next)"])
        case .closeRecords:
            try await engine.cancelTimers(applicationID: application.id)
        case .completeAssignments:
            var accepted: [(UUID, Int)] = []
            for try await row in try await engine.connection.query(
                "SELECT id, version FROM assignments WHERE application_id = \(application.id) AND state = 'accepted' ORDER BY id", logger: logger
            ).decode((UUID, Int).self) { accepted.append(row) }
            for (assignment, version) in accepted {
                _ = try await engine.fire(Workflows.assignment, table: "assignments", subjectID: assignment, action: .complete,
                                          actor: .system, expectedVersion: version, reason: "The determination ends the survey.", payload: [:])
            }
        }
    }

    // MARK: - Reading

    public struct ApplicationSummary: Sendable, Equatable {
        public let id: UUID
        public let practiceID: UUID
        public let releaseID: String
        public let state: ApplicationState
        public let version: Int
        public let termStart: String?
        public let termEnd: String?
        public let previousApplicationID: UUID?
    }

    public func application(_ id: UUID) async throws -> ApplicationSummary {
        let rows = try await client.query("""
            SELECT practice_id, release_id, state, version, to_char(term_start, 'YYYY-MM-DD'), to_char(term_end, 'YYYY-MM-DD'), previous_application_id
            FROM applications WHERE id = \(id)
            """, logger: logger)
        for try await (practice, release, state, version, start, end, previous) in rows.decode((UUID, String, String, Int, String?, String?, UUID?).self) {
            return ApplicationSummary(id: id, practiceID: practice, releaseID: release, state: try decoded(state, "application \(id)"), version: version,
                                      termStart: start, termEnd: end, previousApplicationID: previous)
        }
        throw WorkflowError.notFound("Application \(id)")
    }

    /// What the access policy needs to know about an application (nil when there is no such application).
    public func accessFacts(application id: UUID) async throws -> AccessPolicy.ApplicationFacts? {
        for try await (practice, surveyors) in try await client.query("""
            SELECT a.practice_id,
                   ARRAY(SELECT s.surveyor_id FROM assignments s WHERE s.application_id = a.id AND s.state IN ('accepted', 'completed'))
            FROM applications a WHERE a.id = \(id)
            """, logger: logger).decode((UUID, [UUID]).self) {
            return AccessPolicy.ApplicationFacts(practiceID: practice, surveyors: Set(surveyors))
        }
        return nil
    }

    public func applications(previous: UUID) async throws -> [UUID] {
        var result: [UUID] = []
        for try await id in try await client.query("SELECT id FROM applications WHERE previous_application_id = \(previous)", logger: logger).decode(UUID.self) {
            result.append(id)
        }
        return result
    }

    public func history(of application: UUID) async throws -> [HistoryEvent] {
        try await HistoryChain(client: client, logger: logger).events(of: application)
    }

    /// Each applicable indicator with its response, evidence count and score.
    public func progress(application id: UUID) async throws -> [GuardFacts.IndicatorProgress] {
        try await transaction { engine in try await engine.indicatorProgress(try await engine.lockApplication(id, forUpdate: false)) }
    }

    public func scoreReport(application id: UUID) async throws -> ScoreReport {
        try await transaction { engine in
            try await scoreReport(engine, application: try await engine.lockApplication(id, forUpdate: false))
        }
    }

    func scoreReport(_ engine: TransitionEngine, application: ApplicationRow) async throws -> ScoreReport {
        let progress = Dictionary(uniqueKeysWithValues: try await engine.indicatorProgress(application).map { ($0.code, $0) })
        let items = try await engine.applicableIndicators(application).map { decision in
            ScoreReport.Item(code: decision.indicator.indicator.code, domain: decision.indicator.domain, standard: decision.indicator.standard,
                             level: decision.indicator.indicator.level, score: progress[decision.indicator.indicator.code]?.score)
        }
        return ScoreReport(items: items, settings: settings)
    }
}
