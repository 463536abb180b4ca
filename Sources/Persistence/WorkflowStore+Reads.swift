public import AccreditationCore
public import Foundation
import PostgresNIO

// Read models: what the API shows of each record. Visibility is decided by `AccessPolicy` before these run.

public struct PracticeView: Sendable, Equatable {
    public let id: UUID
    public let record: PracticeRecord
    public let facilities: [Facility]
    public let createdAt: Date

    public struct Facility: Sendable, Equatable {
        public let id: UUID
        public let record: FacilityRecord
    }
}

public struct PersonView: Sendable, Equatable {
    public let id: UUID
    public let email: String
    public let displayName: String
    public let role: Role
    public let practiceID: UUID?
    public let discipline: Discipline?
}

public struct ApplicationView: Sendable, Equatable {
    public let summary: WorkflowStore.ApplicationSummary
    public let pathway: Pathway
    public let termYears: Int
    public let practiceName: String
    public let visit: Visit?
    public let createdAt: Date
    public let updatedAt: Date

    public struct Visit: Sendable, Equatable {
        public let mode: VisitMode
        public let date: String
    }
}

public struct ApplicationFilter: Sendable, Equatable {
    public var state: String?
    public var practiceID: UUID?
    public var pathway: String?
    /// Accredited terms ending on or before this date (YYYY-MM-DD).
    public var termEndsBy: CalendarDate?
    public var practiceName: String?

    public init(state: String? = nil, practiceID: UUID? = nil, pathway: String? = nil, termEndsBy: CalendarDate? = nil, practiceName: String? = nil) {
        self.state = state
        self.practiceID = practiceID
        self.pathway = pathway
        self.termEndsBy = termEndsBy
        self.practiceName = practiceName
    }
}

public struct ResponseView: Sendable, Equatable {
    public let indicator: String
    public let answer: String
    public let version: Int
    public let respondedBy: UUID
    public let respondedAt: Date
}

public struct EvidenceView: Sendable, Equatable {
    public let id: UUID
    public let applicationID: UUID
    public let metadata: EvidenceMetadata
    public let indicators: [String]
    public let state: Workflows.EvidenceState
    public let version: Int
    public let supersedes: UUID?
    public let uploadedBy: UUID
    public let uploadedAt: Date
}

public struct AssignmentView: Sendable, Equatable {
    public let id: UUID
    public let applicationID: UUID
    public let surveyorID: UUID
    public let surveyorName: String
    public let discipline: String?
    public let state: Workflows.AssignmentState
    public let version: Int
    public let attestedAt: Date?
}

public struct ScoreView: Sendable, Equatable {
    public let indicator: String
    public let value: String
    public let rationale: String
    public let evidence: [UUID]
    public let version: Int
    public let scoredBy: UUID
    public let scoredAt: Date
}

public struct RFIView: Sendable, Equatable {
    public let id: UUID
    public let applicationID: UUID
    public let indicator: String?
    public let question: String
    public let answer: String?
    public let state: Workflows.RFIState
    public let version: Int
    public let dueAt: Date
}

public struct CorrectiveActionView: Sendable, Equatable {
    public let id: UUID
    public let applicationID: UUID
    public let indicator: String
    public let description: String
    public let response: String?
    public let state: Workflows.CorrectiveActionState
    public let version: Int
    public let dueAt: Date
}

/// A determination, appeal or change notice: a decision or statement on the record.
public struct FiledRecord: Sendable, Equatable {
    public let id: UUID
    public let kind: String
    public let text: String
    public let outcome: String?
    public let recommendation: String?
    public let by: UUID
    public let at: Date
}

extension WorkflowStore {
    // MARK: - Practices and people

    public func practice(_ id: UUID) async throws -> PracticeView {
        guard let practice = try await practices(ids: [id]).first else { throw WorkflowError.notFound("Practice \(id)") }
        return practice
    }

    /// Practices by name (case-insensitive substring), ordered by name then id, after `cursor` (name, id).
    public func practices(matching name: String?, only: UUID?, after cursor: (String, UUID)?, limit: Int) async throws -> [PracticeView] {
        var ids: [UUID] = []
        let pattern = name.map { "%" + Self.escapeLike($0.lowercased()) + "%" }
        for try await id in try await client.query("""
            SELECT id FROM practices
            WHERE (\(pattern)::text IS NULL OR lower(legal_name) LIKE \(pattern))
              AND (\(only)::uuid IS NULL OR id = \(only))
              AND (\(cursor?.0)::text IS NULL OR (legal_name, id) > (\(cursor?.0), \(cursor?.1)))
            ORDER BY legal_name, id LIMIT \(limit)
            """, logger: logger).decode(UUID.self) { ids.append(id) }
        return try await practices(ids: ids)
    }

    /// The practices with these ids, in that order, with their facilities: two queries for any number.
    private func practices(ids: [UUID]) async throws -> [PracticeView] {
        guard !ids.isEmpty else { return [] }
        var facilities: [UUID: [PracticeView.Facility]] = [:]
        for try await (practice, facilityID, name, address, isMain, distance) in try await client.query("""
            SELECT practice_id, id, name, address, is_main, distance_miles::float8 FROM facilities
            WHERE practice_id = ANY(\(ids)) ORDER BY practice_id, is_main DESC, name, id
            """, logger: logger).decode((UUID, UUID, String, String, Bool, Double).self) {
            facilities[practice, default: []].append(.init(id: facilityID, record: FacilityRecord(name: name, address: address, isMain: isMain,
                                                                                                distanceMiles: distance)))
        }
        var found: [UUID: PracticeView] = [:]
        for try await (id, name, address, licence, regulator, scopeJSON, created) in try await client.query("""
            SELECT id, legal_name, address, licence_number, regulator, scope::text, created_at FROM practices WHERE id = ANY(\(ids))
            """, logger: logger).decode((UUID, String, String, String, String, String, Date).self) {
            let scope = try JSONDecoder().decode(PracticeScope.self, from: Data(scopeJSON.utf8))
            found[id] = PracticeView(id: id, record: PracticeRecord(legalName: name, address: address, licenceNumber: licence, regulator: regulator,
                                                                    scope: scope),
                                     facilities: facilities[id] ?? [], createdAt: created)
        }
        return ids.compactMap { found[$0] }
    }

    public func updateScope(practice id: UUID, scope: PracticeScope) async throws {
        let json = String(decoding: try JSONEncoder().encode(scope), as: UTF8.self)
        let rows = try await client.query("UPDATE practices SET scope = \(json)::jsonb WHERE id = \(id) RETURNING id", logger: logger)
        for try await _ in rows { return }
        throw WorkflowError.notFound("Practice \(id)")
    }

    public func addFacility(practice id: UUID, _ facility: FacilityRecord) async throws -> UUID {
        guard !facility.isMain else { throw WorkflowError.invalid("A practice has exactly one main facility; new facilities are satellites.") }
        guard !facility.name.trimmingCharacters(in: .whitespaces).isEmpty, facility.distanceMiles >= 0, facility.distanceMiles.isFinite else {
            throw WorkflowError.invalid("A facility needs a name and a distance of zero or more miles.")
        }
        _ = try await practice(id)
        let facilityID = UUID()
        _ = try await client.query("""
            INSERT INTO facilities (id, practice_id, name, address, is_main, distance_miles)
            VALUES (\(facilityID), \(id), \(facility.name), \(facility.address), false, \(facility.distanceMiles))
            """, logger: logger)
        return facilityID
    }

    public func people(practice: UUID?, role: Role?, after cursor: (String, UUID)?, limit: Int) async throws -> [PersonView] {
        var result: [PersonView] = []
        for try await (id, email, name, roleText, practiceID, discipline) in try await client.query("""
            SELECT id, email, display_name, role, practice_id, discipline FROM people
            WHERE (\(practice)::uuid IS NULL OR practice_id = \(practice)) AND (\(role?.rawValue)::text IS NULL OR role = \(role?.rawValue))
              AND (\(cursor?.0)::text IS NULL OR (email, id) > (\(cursor?.0), \(cursor?.1)))
            ORDER BY email, id LIMIT \(limit)
            """, logger: logger).decode((UUID, String, String, String, UUID?, String?).self) {
            guard let role = Role(rawValue: roleText) else { throw CorruptRecord("Person \(id) has the unknown role '\(roleText)'.") }
            result.append(PersonView(id: id, email: email, displayName: name, role: role, practiceID: practiceID,
                                     discipline: discipline.flatMap(Discipline.init(rawValue:))))
        }
        return result
    }

    // MARK: - Applications

    /// Applications the scope allows, filtered, newest first, after `cursor` (created_at, id).
    public func applications(_ scope: AccessPolicy.ApplicationScope, filter: ApplicationFilter,
                             after cursor: (Date, UUID)?, limit: Int) async throws -> [ApplicationView] {
        let (all, practiceScope, surveyorScope): (Bool, UUID?, UUID?)
        switch scope {
        case .all: (all, practiceScope, surveyorScope) = (true, nil, nil)
        case let .practice(id): (all, practiceScope, surveyorScope) = (false, id, nil)
        case let .surveyor(id): (all, practiceScope, surveyorScope) = (false, nil, id)
        case .none: return []
        }
        let pattern = filter.practiceName.map { "%" + Self.escapeLike($0.lowercased()) + "%" }
        var ids: [UUID] = []
        for try await id in try await client.query("""
            SELECT a.id FROM applications a JOIN practices p ON p.id = a.practice_id
            WHERE (\(all) OR a.practice_id = \(practiceScope)
                   OR EXISTS (SELECT 1 FROM assignments s WHERE s.application_id = a.id AND s.surveyor_id = \(surveyorScope)
                              AND s.state IN ('accepted', 'completed')))
              AND (\(filter.state)::text IS NULL OR a.state = \(filter.state))
              AND (\(filter.practiceID)::uuid IS NULL OR a.practice_id = \(filter.practiceID))
              AND (\(filter.pathway)::text IS NULL OR a.pathway = \(filter.pathway))
              AND (\(filter.termEndsBy?.description)::date IS NULL OR a.term_end <= \(filter.termEndsBy?.description)::date)
              AND (\(pattern)::text IS NULL OR lower(p.legal_name) LIKE \(pattern))
              AND (\(cursor?.0)::timestamptz IS NULL OR (a.created_at, a.id) < (\(cursor?.0), \(cursor?.1)))
            ORDER BY a.created_at DESC, a.id DESC LIMIT \(limit)
            """, logger: logger).decode(UUID.self) { ids.append(id) }
        return try await applicationViews(ids)
    }

    /// The applications with these ids, in that order, in one query (the same read as a single GET).
    func applicationViews(_ ids: [UUID]) async throws -> [ApplicationView] {
        guard !ids.isEmpty else { return [] }
        var views: [ApplicationView] = []
        for try await row in try await client.query("""
            SELECT r.* FROM unnest(\(ids)::uuid[]) WITH ORDINALITY AS wanted(id, position)
            CROSS JOIN LATERAL application_read(wanted.id) r ORDER BY wanted.position
            """, logger: logger).decode(ApplicationWithFacts.Row.self) {
            views.append(try ApplicationWithFacts.make(ids[views.count], row).view)
        }
        return views
    }

    public func applicationView(_ id: UUID) async throws -> ApplicationView {
        guard let (view, _) = try await applicationWithFacts(id) else { throw WorkflowError.notFound("Application \(id)") }
        return view
    }

    /// The application and what the access policy needs to know about it, in one round trip (the read
    /// path every GET of an application takes); nil when there is no such application.
    public func applicationWithFacts(_ id: UUID) async throws -> (ApplicationView, AccessPolicy.ApplicationFacts)? {
        for try await row in try await client.query(ApplicationWithFacts.query(id), logger: logger).decode(ApplicationWithFacts.Row.self) {
            return try ApplicationWithFacts.make(id, row)
        }
        return nil
    }

    /// Every applicable indicator of the application with why it applies.
    public func applicableIndicators(application id: UUID) async throws -> [ApplicabilityDecision] {
        try await transaction { engine in try await engine.applicableIndicators(try await engine.lockApplication(id, forUpdate: false)) }
    }

    // MARK: - Records under an application

    public func responses(application id: UUID) async throws -> [ResponseView] {
        var result: [ResponseView] = []
        for try await (code, answer, version, by, at) in try await client.query("""
            SELECT indicator_code, answer, version, responded_by, responded_at FROM responses WHERE application_id = \(id) ORDER BY indicator_code
            """, logger: logger).decode((String, String, Int, UUID, Date).self) {
            result.append(ResponseView(indicator: code, answer: answer, version: version, respondedBy: by, respondedAt: at))
        }
        return result
    }

    public func evidence(application id: UUID, document: UUID? = nil) async throws -> [EvidenceView] {
        var result: [EvidenceView] = []
        for try await row in try await client.query("""
            SELECT d.id, d.title, d.kind, to_char(d.as_of, 'YYYY-MM-DD'), d.sha256, d.byte_count, d.media_type, d.file_name, d.state, d.version,
                   d.supersedes_id, d.uploaded_by, d.uploaded_at,
                   coalesce((SELECT string_agg(indicator_code, ',' ORDER BY indicator_code) FROM evidence_links l WHERE l.document_id = d.id), '')
            FROM evidence_documents d WHERE d.application_id = \(id) AND (\(document)::uuid IS NULL OR d.id = \(document))
            ORDER BY d.uploaded_at, d.id
            """, logger: logger).decode((UUID, String, String, String, String, Int64, String, String, String, Int, UUID?, UUID, Date, String).self) {
            let (documentID, title, kind, asOf, digest, bytes, media, fileName, state, version, supersedes, by, at, links) = row
            result.append(EvidenceView(
                id: documentID, applicationID: id,
                metadata: EvidenceMetadata(title: title, kind: EvidenceKind(rawValue: kind) ?? .other, asOf: asOf, sha256: digest,
                                           byteCount: bytes, mediaType: media, fileName: fileName),
                indicators: links.split(separator: ",").map(String.init), state: try decoded(state, "evidence document \(documentID)"),
                version: version, supersedes: supersedes,
                uploadedBy: by, uploadedAt: at))
        }
        return result
    }

    /// Links a document to more indicators of its application (links are never removed: scores cite them).
    public func linkEvidence(_ document: UUID, application id: UUID, indicators: [String], actor: WorkflowActor) async throws {
        guard !indicators.isEmpty else { throw WorkflowError.invalid("Name at least one indicator to link.") }
        try await transaction { engine in
            let application = try await engine.lockApplication(id, actor: actor)
            try await Self.requireRole(.linkEvidence, actor, application, engine)
            var state: String?
            for try await value in try await engine.connection.query(
                "SELECT state FROM evidence_documents WHERE id = \(document) AND application_id = \(id)", logger: logger
            ).decode(String.self) { state = value }
            guard let state else { throw WorkflowError.notFound("Evidence document \(document)") }
            guard state != Workflows.EvidenceState.superseded.rawValue else { throw WorkflowError.invalid("A superseded document cannot be linked.") }
            try Self.requireState(.linkEvidence, actor, application)
            for code in Set(indicators) { try await Self.requireApplicable(code, application, engine) }
            for code in Set(indicators).sorted() {
                _ = try await engine.connection.query("""
                    INSERT INTO evidence_links (document_id, indicator_code) VALUES (\(document), \(code)) ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
            try await engine.appendHistory(applicationID: id, actor: actor, machine: Workflows.evidence.name, subjectID: document,
                                           action: "link", from: nil, to: state, reason: "",
                                           payload: ["indicators": Set(indicators).sorted().joined(separator: ",")])
        }
    }

    /// Every digest any evidence record refers to (the orphan sweep keeps these files).
    public func referencedDigests() async throws -> Set<String> {
        var result = Set<String>()
        for try await digest in try await client.query("SELECT DISTINCT sha256 FROM evidence_documents", logger: logger).decode(String.self) {
            result.insert(digest)
        }
        return result
    }

    /// Assignments of an application, or (with `surveyor`) every assignment of one surveyor.
    public func assignments(application: UUID? = nil, surveyor: UUID? = nil) async throws -> [AssignmentView] {
        var result: [AssignmentView] = []
        for try await (id, applicationID, surveyorID, name, discipline, state, version, attested) in try await client.query("""
            SELECT s.id, s.application_id, s.surveyor_id, p.display_name, p.discipline, s.state, s.version, s.attested_at
            FROM assignments s JOIN people p ON p.id = s.surveyor_id
            WHERE (\(application)::uuid IS NULL OR s.application_id = \(application)) AND (\(surveyor)::uuid IS NULL OR s.surveyor_id = \(surveyor))
            ORDER BY s.created_at, s.id
            """, logger: logger).decode((UUID, UUID, UUID, String, String?, String, Int, Date?).self) {
            result.append(AssignmentView(id: id, applicationID: applicationID, surveyorID: surveyorID, surveyorName: name, discipline: discipline,
                                         state: try decoded(state, "assignment \(id)"), version: version, attestedAt: attested))
        }
        return result
    }

    public func scores(application id: UUID) async throws -> [ScoreView] {
        var result: [ScoreView] = []
        for try await (code, value, rationale, evidence, version, by, at) in try await client.query("""
            SELECT indicator_code, value, rationale, evidence_ids, version, scored_by, scored_at FROM scores WHERE application_id = \(id) ORDER BY indicator_code
            """, logger: logger).decode((String, String, String, [UUID], Int, UUID, Date).self) {
            result.append(ScoreView(indicator: code, value: value, rationale: rationale, evidence: evidence, version: version, scoredBy: by, scoredAt: at))
        }
        return result
    }

    /// The open application states as stored text, for reports that leave closed applications out.
    static let openApplicationStates = Workflows.openApplicationStates.map(\.rawValue).sorted()

    /// RFIs of an application, or (with `overdueOnly` and no application) every overdue one of an open
    /// application (a closed application's records are history, not work).
    public func rfis(application: UUID?, overdueOnly: Bool = false) async throws -> [RFIView] {
        var result: [RFIView] = []
        for try await (id, applicationID, code, question, answer, state, version, due) in try await client.query("""
            SELECT id, application_id, indicator_code, question, answer, state, version, due_at FROM rfis r
            WHERE (\(application)::uuid IS NULL OR application_id = \(application))
              AND (NOT \(overdueOnly) OR (state = 'overdue'
                   AND (SELECT a.state FROM applications a WHERE a.id = r.application_id) = ANY(\(Self.openApplicationStates))))
            ORDER BY due_at, id
            """, logger: logger).decode((UUID, UUID, String?, String, String?, String, Int, Date).self) {
            result.append(RFIView(id: id, applicationID: applicationID, indicator: code, question: question, answer: answer,
                                  state: try decoded(state, "request for information \(id)"), version: version, dueAt: due))
        }
        return result
    }

    public func correctiveActionViews(application: UUID?, overdueOnly: Bool = false) async throws -> [CorrectiveActionView] {
        var result: [CorrectiveActionView] = []
        for try await (id, applicationID, code, description, response, state, version, due) in try await client.query("""
            SELECT id, application_id, indicator_code, description, response, state, version, due_at FROM corrective_actions r
            WHERE (\(application)::uuid IS NULL OR application_id = \(application))
              AND (NOT \(overdueOnly) OR (state = 'overdue'
                   AND (SELECT a.state FROM applications a WHERE a.id = r.application_id) = ANY(\(Self.openApplicationStates))))
            ORDER BY due_at, indicator_code, id
            """, logger: logger).decode((UUID, UUID, String, String, String?, String, Int, Date).self) {
            result.append(CorrectiveActionView(id: id, applicationID: applicationID, indicator: code, description: description,
                                               response: response, state: try decoded(state, "corrective action \(id)"), version: version, dueAt: due))
        }
        return result
    }

    /// Determinations, appeals and change notices of an application, oldest first.
    public func filedRecords(application id: UUID) async throws -> [FiledRecord] {
        var result: [FiledRecord] = []
        for try await (recordID, kind, text, outcome, recommendation, by, at) in try await client.query("""
            SELECT id, 'determination', rationale, outcome, recommendation::text, decided_by, decided_at FROM determinations WHERE application_id = \(id)
            UNION ALL SELECT id, 'appeal', grounds, NULL, NULL, filed_by, filed_at FROM appeals WHERE application_id = \(id)
            UNION ALL SELECT id, 'change-notice', description, NULL, NULL, filed_by, filed_at FROM change_notices WHERE application_id = \(id)
            ORDER BY 7, 1
            """, logger: logger).decode((UUID, String, String, String?, String?, UUID, Date).self) {
            result.append(FiledRecord(id: recordID, kind: kind, text: text, outcome: outcome, recommendation: recommendation, by: by, at: at))
        }
        return result
    }

    /// The newest published release (by effective date, then version), for new applications by default.
    public func newestPublishedRelease() async throws -> String? {
        for try await release in try await client.query("""
            SELECT release_id FROM catalog_releases WHERE status = 'published' ORDER BY effective_on DESC, version DESC LIMIT 1
            """, logger: logger).decode(String.self) { return release }
        return nil
    }

    public func verifyHistory(application id: UUID) async throws -> HistoryChain.Report {
        try await HistoryChain(client: client, logger: logger).verify(application: id)
    }

    // MARK: - Staff queries

    /// How many applications are in each state.
    public func pipeline() async throws -> [(state: String, count: Int)] {
        var result: [(String, Int)] = []
        for try await row in try await client.query(
            "SELECT state, count(*)::int8 FROM applications GROUP BY state ORDER BY state", logger: logger
        ).decode((String, Int).self) { result.append(row) }
        return result
    }

    /// Accredited applications whose term ends within `days` days of now.
    public func expiring(withinDays days: Int) async throws -> [ApplicationView] {
        let until = clock.now().addingTimeInterval(Double(days) * 86_400)
        var ids: [UUID] = []
        for try await id in try await client.query("""
            SELECT id FROM applications WHERE state = 'accredited' AND term_end <= (\(until) AT TIME ZONE 'UTC')::date ORDER BY term_end, id
            """, logger: logger).decode(UUID.self) { ids.append(id) }
        return try await applicationViews(ids)
    }

    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}

/// The hottest read, through the `application_read` function (migration 0006), whose plan PostgreSQL
/// keeps per connection. Not a `PostgresPreparedStatement`: with postgres-nio 1.33.2, executing one
/// through `PostgresClient` grew apex's memory by about 1 KiB per request under load (55 MiB per 50,000
/// GETs in a wrk run), while plain queries did not.
enum ApplicationWithFacts {
    typealias Row = (UUID, String, String, Int, String?, String?, UUID?, String, Int, String, String?, String?, Date, Date, [UUID])

    static func query(_ id: UUID) -> PostgresQuery {
        "SELECT * FROM application_read(\(id))"
    }

    static func make(_ id: UUID, _ row: Row) throws -> (view: ApplicationView, facts: AccessPolicy.ApplicationFacts) {
        let (practice, release, state, version, start, end, previous, pathway, term, name, mode, date, created, updated, surveyors) = row
        let summary = WorkflowStore.ApplicationSummary(id: id, practiceID: practice, releaseID: release,
                                                       state: try decoded(state, "application \(id)"), version: version,
                                                       termStart: start, termEnd: end, previousApplicationID: previous)
        let visit = try mode.flatMap { mode in try date.map { ApplicationView.Visit(mode: try decoded(mode, "visit of \(id)"), date: $0) } }
        return (ApplicationView(summary: summary, pathway: try decoded(pathway, "application \(id)"), termYears: term, practiceName: name, visit: visit,
                                createdAt: created, updatedAt: updated),
                AccessPolicy.ApplicationFacts(practiceID: practice, surveyors: Set(surveyors)))
    }
}

/// A stored value read into its domain type once, here; a value the code does not know is corrupt data,
/// reported as such (500), never replaced by a default.
func decoded<Value: RawRepresentable>(_ raw: String, _ owner: @autoclosure () -> String) throws -> Value where Value.RawValue == String {
    guard let value = Value(rawValue: raw) else { throw CorruptRecord("The stored \(Value.self) of \(owner()) is '\(raw)', which this version does not know.") }
    return value
}
