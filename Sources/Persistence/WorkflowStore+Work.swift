public import AccreditationCore
public import Foundation
import PostgresNIO

/// The records practices, surveyors and staff work on under an application, and their lifecycles.
extension WorkflowStore {
    // MARK: - Self-assessment

    /// Records the practice's response to one applicable indicator, or replaces it when `expectedVersion`
    /// is the version the caller saw (nil: there is none yet). A stale version is a conflict, so two
    /// people editing one response never silently overwrite each other. Only while the self-assessment
    /// is open or revisions were requested. Returns the response's new version.
    @discardableResult
    public func respond(application id: UUID, indicator code: String, answer: String, actor: WorkflowActor, expectedVersion: Int? = nil) async throws -> Int {
        guard !answer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw WorkflowError.invalid("A response needs an answer.") }
        return try await transaction { engine in
            let application = try await engine.lockApplication(id, actor: actor)
            try await Self.requireRole(.respond, actor, application, engine)
            try Self.requireState(.respond, actor, application)
            try await Self.requireApplicable(code, application, engine)
            guard let person = actor.id else { throw WorkflowError.invalid("Responses are made by people.") }
            let version = try await Self.checkVersion(of: "responses", application: id, indicator: code, expected: expectedVersion, engine)
            _ = try await engine.connection.query("""
                INSERT INTO responses (application_id, indicator_code, answer, version, responded_by, responded_at)
                VALUES (\(id), \(code), \(answer), \(version), \(person), \(engine.now))
                ON CONFLICT (application_id, indicator_code) DO UPDATE
                SET answer = excluded.answer, version = excluded.version, responded_by = excluded.responded_by, responded_at = excluded.responded_at
                """, logger: logger)
            try await engine.appendHistory(applicationID: id, actor: actor, machine: "response", subjectID: id, action: "respond",
                                           from: nil, to: "answered", reason: "", payload: ["indicator": code, "version": String(version)])
            return version
        }
    }

    /// The next version of a per-indicator record (response or score), refusing a stale expectation.
    static func checkVersion(of table: String, application: UUID, indicator: String, expected: Int?, _ engine: TransitionEngine) async throws -> Int {
        var current: Int?
        for try await version in try await engine.connection.query("""
            SELECT version FROM \(unescaped: table) WHERE application_id = \(application) AND indicator_code = \(indicator) FOR UPDATE
            """, logger: engine.logger).decode(Int.self) { current = version }
        guard (expected ?? 0) == (current ?? 0) else { throw WorkflowError.stale(expected: expected ?? 0, current: current ?? 0) }
        return (current ?? 0) + 1
    }

    // MARK: - Evidence

    /// Whether `actor` may add evidence for these indicators now (and supersede `previous`), checked
    /// before an upload streams its bytes, so a refused upload stores nothing. `addEvidence` checks again
    /// in its own transaction.
    public func checkEvidenceAllowed(application id: UUID, indicators: [String], actor: WorkflowActor, supersedes previous: UUID? = nil) async throws {
        try await transaction { engine in
            _ = try await checkEvidence(engine, application: id, indicators: indicators, actor: actor, supersedes: previous, forUpdate: false)
        }
    }

    private func checkEvidence(_ engine: TransitionEngine, application id: UUID, indicators: [String], actor: WorkflowActor, supersedes previous: UUID?,
                               forUpdate: Bool) async throws -> UUID {
        guard !indicators.isEmpty else { throw WorkflowError.invalid("Evidence backs at least one indicator.") }
        let application = try await engine.lockApplication(id, actor: actor, forUpdate: forUpdate)
        try await Self.requireRole(.uploadEvidence, actor, application, engine)
        try Self.requireState(.uploadEvidence, actor, application)
        for code in Set(indicators) { try await Self.requireApplicable(code, application, engine) }
        guard let person = actor.id else { throw WorkflowError.invalid("Evidence is uploaded by people.") }
        if let previous {
            var owner: UUID?
            for try await value in try await engine.connection.query(
                "SELECT application_id FROM evidence_documents WHERE id = \(previous)", logger: logger
            ).decode(UUID.self) { owner = value }
            // A new version replaces a document of the same application, never another one's.
            guard owner == id else { throw WorkflowError.notFound("Evidence document \(previous)") }
        }
        return person
    }

    /// Records an evidence document (its bytes are already stored by digest) backing one or more indicators.
    /// With `supersedes`, the earlier version moves to `superseded` in the same transaction.
    public func addEvidence(application id: UUID, _ metadata: EvidenceMetadata, indicators: [String], actor: WorkflowActor,
                            supersedes previous: UUID? = nil) async throws -> UUID {
        guard metadata.sha256.wholeMatch(of: /[0-9a-f]{64}/) != nil, metadata.byteCount > 0 else {
            throw WorkflowError.invalid("Evidence needs the SHA-256 and size of a non-empty file.")
        }
        guard !metadata.title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw WorkflowError.invalid("Evidence needs a title.") }
        return try await transaction { engine in
            let person = try await checkEvidence(engine, application: id, indicators: indicators, actor: actor, supersedes: previous, forUpdate: true)
            let documentID = UUID()
            _ = try await engine.connection.query("""
                INSERT INTO evidence_documents (id, application_id, title, kind, as_of, sha256, byte_count, media_type, file_name,
                                                state, supersedes_id, uploaded_by, uploaded_at)
                VALUES (\(documentID), \(id), \(metadata.title), \(metadata.kind.rawValue), \(metadata.asOf)::date, \(metadata.sha256),
                        \(metadata.byteCount), \(metadata.mediaType), \(metadata.fileName), \(Workflows.evidence.initial.rawValue),
                        \(previous), \(person), \(engine.now))
                """, logger: logger)
            for code in Set(indicators).sorted() {
                _ = try await engine.connection.query("INSERT INTO evidence_links (document_id, indicator_code) VALUES (\(documentID), \(code))", logger: logger)
            }
            try await engine.appendHistory(applicationID: id, actor: actor, machine: Workflows.evidence.name, subjectID: documentID,
                                           action: "upload", from: nil, to: Workflows.evidence.initial.rawValue, reason: "",
                                           payload: ["sha256": metadata.sha256, "indicators": Set(indicators).sorted().joined(separator: ","),
                                                     "supersedes": previous?.uuidString ?? ""])
            if let previous {
                _ = try await engine.fire(Workflows.evidence, table: "evidence_documents", subjectID: previous, action: .supersede,
                                          actor: actor, expectedVersion: nil, reason: "New version \(documentID)", payload: [:])
            }
            return documentID
        }
    }

    @discardableResult
    public func fire(_ action: Workflows.EvidenceAction, evidence id: UUID, actor: WorkflowActor, expectedVersion: Int?, reason: String = "") async throws -> Fired {
        guard action != .supersede else {
            throw WorkflowError.invalid("A document is superseded by uploading its new version (addEvidence with supersedes).")
        }
        return try await transaction { engine in
            try await engine.fire(Workflows.evidence, table: "evidence_documents", subjectID: id, action: action, actor: actor,
                                  expectedVersion: expectedVersion, reason: reason, payload: [:]).fired
        }
    }

    // MARK: - Surveyor assignments

    /// Proposes a surveyor for the survey team. Refused, naming the reason, when the surveyor is affiliated
    /// with the practice or any facility of its network.
    public func proposeAssignment(application id: UUID, surveyor: UUID, actor: WorkflowActor) async throws -> UUID {
        try Self.requireRole(.proposeAssignment, actor)
        return try await transaction { engine in
            let application = try await engine.lockApplication(id, actor: actor)
            try await engine.authorize(actor, on: application)
            try Self.requireState(.proposeAssignment, actor, application)
            var open = false
            for try await _ in try await engine.connection.query("""
                SELECT 1 FROM assignments WHERE application_id = \(id) AND surveyor_id = \(surveyor) AND state IN ('proposed', 'accepted')
                """, logger: logger) { open = true }
            guard !open else { throw WorkflowError.invalid("This surveyor is already proposed for or on the team.") }
            let conflicts = try await Self.conflicts(surveyor: surveyor, practice: application.practiceID, engine)
            var facts = GuardFacts()
            facts.conflicts = conflicts
            let outcome = Guard.noConflictOfInterest.check(facts)
            guard outcome.holds else { throw WorkflowError.refused(.guardFailed(.noConflictOfInterest, reason: outcome.reason)) }
            var discipline: String?
            for try await value in try await engine.connection.query(
                "SELECT discipline FROM people WHERE id = \(surveyor) AND discipline IS NOT NULL", logger: logger
            ).decode(String?.self) { discipline = value }
            guard discipline != nil else { throw WorkflowError.notFound("Surveyor \(surveyor)") }
            let assignmentID = UUID()
            _ = try await engine.connection.query("""
                INSERT INTO assignments (id, application_id, surveyor_id, state, created_at)
                VALUES (\(assignmentID), \(id), \(surveyor), \(Workflows.assignment.initial.rawValue), \(engine.now))
                """, logger: logger)
            try await engine.appendHistory(applicationID: id, actor: actor, machine: Workflows.assignment.name, subjectID: assignmentID,
                                           action: "propose", from: nil, to: Workflows.assignment.initial.rawValue, reason: "",
                                           payload: ["surveyor": surveyor.uuidString])
            return assignmentID
        }
    }

    /// Accepting needs the signed conflict-of-interest attestation (its text is kept) and, checked again,
    /// no affiliation with the practice.
    @discardableResult
    public func fire(_ action: Workflows.AssignmentAction, assignment id: UUID, actor: WorkflowActor, expectedVersion: Int?,
                     attestation: String? = nil, reason: String = "") async throws -> Fired {
        try await transaction { engine in
            var surveyor: UUID?
            for try await value in try await engine.connection.query("SELECT surveyor_id FROM assignments WHERE id = \(id)", logger: logger).decode(UUID.self) {
                surveyor = value
            }
            guard let surveyor else { throw WorkflowError.notFound("Assignment \(id)") }
            // Only the assigned person answers the proposal; staff and the scheduler complete assignments.
            guard action == .complete || actor.id == surveyor else {
                throw WorkflowError.refused(.roleNotAllowed(action: action.rawValue, role: actor.role))
            }
            let signed = attestation?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == false
            let result = try await engine.fire(
                Workflows.assignment, table: "assignments", subjectID: id, action: action, actor: actor,
                expectedVersion: expectedVersion, reason: reason, payload: signed ? ["attestation": attestation!] : [:]
            ) { facts in
                facts.attestationSigned = signed
                facts.conflicts = try await Self.conflicts(surveyor: surveyor, practice: try await self.practice(ofAssignment: id, engine), engine)
            }
            if action == .accept, let attestation {
                _ = try await engine.connection.query("UPDATE assignments SET attestation = \(attestation), attested_at = \(engine.now) WHERE id = \(id)", logger: logger)
            }
            return result.fired
        }
    }

    private func practice(ofAssignment id: UUID, _ engine: TransitionEngine) async throws -> UUID {
        for try await practice in try await engine.connection.query("""
            SELECT a.practice_id FROM assignments s JOIN applications a ON a.id = s.application_id WHERE s.id = \(id)
            """, logger: logger).decode(UUID.self) { return practice }
        throw WorkflowError.notFound("Assignment \(id)")
    }

    /// Each declared tie between the surveyor and the practice or a facility of its network, in words.
    static func conflicts(surveyor: UUID, practice: UUID, _ engine: TransitionEngine) async throws -> [String] {
        var reasons: [String] = []
        for try await (nature, facility) in try await engine.connection.query("""
            SELECT a.nature, f.name FROM affiliations a LEFT JOIN facilities f ON f.id = a.facility_id
            WHERE a.person_id = \(surveyor) AND (a.practice_id = \(practice) OR f.practice_id = \(practice))
            ORDER BY a.nature
            """, logger: engine.logger).decode((String, String?).self) {
            reasons.append(facility.map { "\(nature) at facility \($0) of the practice's network" } ?? "\(nature) with the practice")
        }
        return reasons
    }

    // MARK: - Scores

    /// A surveyor with an accepted assignment scores an applicable indicator, citing the evidence looked at.
    @discardableResult
    public func score(application id: UUID, indicator code: String, value: ScoreValue, rationale: String,
                      evidence: [UUID] = [], actor: WorkflowActor, expectedVersion: Int? = nil) async throws -> Int {
        guard !rationale.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw WorkflowError.invalid("A score needs a rationale.") }
        return try await transaction { engine in
            let application = try await engine.lockApplication(id, actor: actor)
            try await engine.authorize(actor, on: application)
            try Self.requireRole(.score, actor)
            guard let person = actor.id else { throw WorkflowError.refused(.roleNotAllowed(action: RecordAction.score.rawValue, role: actor.role)) }
            try Self.requireState(.score, actor, application)
            try await Self.requireApplicable(code, application, engine)
            if value == .notApplicable,
               try await engine.applicableIndicators(application).contains(where: { $0.indicator.indicator.code == code && $0.indicator.indicator.level == .mustMeet }) {
                throw WorkflowError.invalid("\(code) is an applicable level-1 indicator: it is compliant or not, never \"not applicable\".")
            }
            var accepted = false
            for try await _ in try await engine.connection.query(
                "SELECT 1 FROM assignments WHERE application_id = \(id) AND surveyor_id = \(person) AND state = 'accepted'", logger: logger
            ) { accepted = true }
            guard accepted else { throw WorkflowError.invalid("Only a surveyor who accepted an assignment on this application may score it.") }
            if !evidence.isEmpty {
                var (known, superseded) = (0, 0)
                for try await counts in try await engine.connection.query("""
                    SELECT count(*)::int8, (count(*) FILTER (WHERE state = \(Workflows.EvidenceState.superseded.rawValue)))::int8
                    FROM evidence_documents WHERE application_id = \(id) AND id = ANY(\(evidence))
                    """, logger: logger).decode((Int, Int).self) { (known, superseded) = counts }
                guard known == Set(evidence).count else { throw WorkflowError.invalid("A score cites only evidence documents of this application.") }
                // A score judges what the practice submits now; a superseded version is history.
                guard superseded == 0 else {
                    throw WorkflowError.invalid("A score cites only current evidence: \(superseded) of the documents cited has been superseded by a newer version; cite that one.")
                }
            }
            let version = try await Self.checkVersion(of: "scores", application: id, indicator: code, expected: expectedVersion, engine)
            _ = try await engine.connection.query("""
                INSERT INTO scores (application_id, indicator_code, value, rationale, evidence_ids, version, scored_by, scored_at)
                VALUES (\(id), \(code), \(value.rawValue), \(rationale), \(evidence), \(version), \(person), \(engine.now))
                ON CONFLICT (application_id, indicator_code) DO UPDATE
                SET value = excluded.value, rationale = excluded.rationale, evidence_ids = excluded.evidence_ids, version = excluded.version,
                    scored_by = excluded.scored_by, scored_at = excluded.scored_at
                """, logger: logger)
            try await engine.appendHistory(applicationID: id, actor: actor, machine: "score", subjectID: id, action: "score",
                                           from: nil, to: value.rawValue, reason: rationale, payload: ["indicator": code, "version": String(version)])
            return version
        }
    }

    // MARK: - Requests for information

    public func openRFI(application id: UUID, indicator code: String?, question: String, actor: WorkflowActor) async throws -> UUID {
        try Self.requireRole(.openRFI, actor)
        guard let person = actor.id else { throw WorkflowError.refused(.roleNotAllowed(action: RecordAction.openRFI.rawValue, role: actor.role)) }
        guard !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw WorkflowError.invalid("An RFI needs a question.") }
        return try await transaction { engine in
            let application = try await engine.lockApplication(id, actor: actor)
            try await engine.authorize(actor, on: application)
            try Self.requireState(.openRFI, actor, application)
            if let code { try await Self.requireApplicable(code, application, engine) }
            let rfiID = UUID()
            let due = engine.now.addingTimeInterval(Double(settings.rfiResponseDays) * 86_400)
            _ = try await engine.connection.query("""
                INSERT INTO rfis (id, application_id, indicator_code, question, state, due_at, created_by, created_at)
                VALUES (\(rfiID), \(id), \(code), \(question), \(Workflows.rfi.initial.rawValue), \(due), \(person), \(engine.now))
                """, logger: logger)
            try await engine.appendHistory(applicationID: id, actor: actor, machine: Workflows.rfi.name, subjectID: rfiID, action: "open",
                                           from: nil, to: Workflows.rfi.initial.rawValue, reason: question, payload: ["indicator": code ?? ""])
            try await engine.addTimer(applicationID: id, machine: Workflows.rfi.name, subjectID: rfiID,
                                      action: Workflows.RFIAction.markOverdue.rawValue, due: due)
            return rfiID
        }
    }

    @discardableResult
    public func fire(_ action: Workflows.RFIAction, rfi id: UUID, actor: WorkflowActor, expectedVersion: Int?, answer: String? = nil, reason: String = "") async throws -> Fired {
        if action == .answer, answer?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true {
            throw WorkflowError.invalid("Answering an RFI needs an answer.")
        }
        return try await transaction { engine in
            let result = try await engine.fire(Workflows.rfi, table: "rfis", subjectID: id, action: action, actor: actor,
                                               expectedVersion: expectedVersion, reason: reason, payload: answer.map { ["answer": $0] } ?? [:])
            if action == .answer, let answer {
                _ = try await engine.connection.query("UPDATE rfis SET answer = \(answer) WHERE id = \(id)", logger: logger)
                try await engine.cancelTimers(subjectID: id, action: Workflows.RFIAction.markOverdue.rawValue)
            }
            return result.fired
        }
    }

    // MARK: - Corrective actions

    public func correctiveActions(application id: UUID) async throws -> [(id: UUID, indicator: String, state: String, version: Int)] {
        var result: [(UUID, String, String, Int)] = []
        for try await row in try await client.query(
            "SELECT id, indicator_code, state, version FROM corrective_actions WHERE application_id = \(id) ORDER BY indicator_code", logger: logger
        ).decode((UUID, String, String, Int).self) { result.append(row) }
        return result
    }

    @discardableResult
    public func fire(_ action: Workflows.CorrectiveActionAction, correctiveAction id: UUID, actor: WorkflowActor, expectedVersion: Int?,
                     response: String? = nil, reason: String = "") async throws -> Fired {
        if action == .submit, response?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true {
            throw WorkflowError.invalid("Submitting a corrective action needs a response.")
        }
        return try await transaction { engine in
            let result = try await engine.fire(Workflows.correctiveAction, table: "corrective_actions", subjectID: id, action: action,
                                               actor: actor, expectedVersion: expectedVersion, reason: reason,
                                               payload: response.map { ["response": $0] } ?? [:])
            if action == .submit, let response {
                _ = try await engine.connection.query("UPDATE corrective_actions SET response = \(response) WHERE id = \(id)", logger: logger)
            }
            return result.fired
        }
    }

    // MARK: - Checks shared by the records

    /// The record-action table's role rule (`RecordActions`), before anything is read.
    static func requireRole(_ action: RecordAction, _ actor: WorkflowActor) throws {
        guard RecordActions.mayEver(action, role: actor.role) else {
            throw WorkflowError.refused(.roleNotAllowed(action: action.rawValue, role: actor.role))
        }
    }

    /// The role rule, then who the actor is on this application (another practice's is not found).
    static func requireRole(_ action: RecordAction, _ actor: WorkflowActor, _ application: ApplicationRow, _ engine: TransitionEngine) async throws {
        try requireRole(action, actor)
        try await engine.authorize(actor, on: application)
    }

    /// The record-action table's state rule, on the state locked in this transaction.
    static func requireState(_ action: RecordAction, _ actor: WorkflowActor, _ application: ApplicationRow) throws {
        guard let state = ApplicationState(rawValue: application.state) else {
            throw WorkflowError.invalid("Stored state '\(application.state)' is not an application state.")
        }
        // The role was checked first (`requireRole`), so only the state can refuse here.
        if case let .wrongState(reason) = RecordActions.decide(action, role: actor.role, applicationState: state) {
            throw WorkflowError.invalid(reason)
        }
    }

    static func requireApplicable(_ code: String, _ application: ApplicationRow, _ engine: TransitionEngine) async throws {
        let applicable = try await engine.applicableIndicators(application)
        guard applicable.contains(where: { $0.indicator.indicator.code == code }) else {
            throw WorkflowError.invalid("Indicator \(code) does not apply to this application.")
        }
    }
}
