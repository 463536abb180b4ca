import AccreditationCore
import Foundation
import Persistence
import PostgresNIO
import StandardsCatalog
import TestSupport

/// A small published catalog, a practice with two facilities, its people, surveyors and staff, on a fresh
/// database with a manual clock. Workflow tests start from here.
struct WorkflowWorld: Sendable {
    let store: WorkflowStore
    let client: PostgresClient
    /// The test database, as the service role.
    let database: DatabaseSettings
    let clock: ManualClock
    let practice: UUID
    let satellite: UUID
    let admin: WorkflowActor
    let contributor: WorkflowActor
    let staff: WorkflowActor
    let otherStaff: WorkflowActor
    let staffPhysicist: WorkflowActor
    let oncologist: WorkflowActor
    let physicist: WorkflowActor
    let affiliatedSurveyor: WorkflowActor

    static let start = Date(timeIntervalSince1970: 1_790_000_000) // 2026-09-21

    /// GOV-01 (level 1), GOV-02 (level 2) always apply; RPS-05 (level 1) only with inpatient therapy.
    static let release = CatalogRelease(
        id: "wf", version: "2026.1", title: "Workflow test catalog", effective: "2026-01-01", status: .published,
        pathways: [.rptStandalone, .rptPaired],
        scoringScales: [ScoringScale(id: "compliance", title: "Compliance", values: [
            .init(id: "compliant", title: "Compliant", meets: true), .init(id: "non-compliant", title: "Non-compliant", meets: false),
        ])],
        references: [Reference(id: "cfr-10-35", title: "10 CFR 35", publisher: "NRC", year: 2024, url: "https://www.nrc.gov/")],
        domains: [Domain(code: "GOV", title: "Governance", summary: "s", standards: [
            Standard(code: "GOV.1", title: "Licensing", summary: "s", indicators: [
                indicator("GOV-01", .mustMeet), indicator("GOV-02", .scored),
                indicator("RPS-05", .mustMeet, applicability: Applicability(when: .equals(.inpatientTherapy, true), reason: "Inpatients.")),
            ]),
        ])]
    )

    static func indicator(_ code: String, _ level: Level, applicability: Applicability? = nil) -> Indicator {
        Indicator(code: code, title: code, requirement: "Do \(code).", guidance: "Check \(code).",
                  evidence: [.init(kind: .procedure, description: "The procedure")], level: level, applicability: applicability,
                  scoring: "compliance", references: [.init(ref: "cfr-10-35", locator: "10 CFR 35")])
    }

    /// Runs `body` on a fresh migrated database with the world set up; the store works as the service role.
    static func with(settings: WorkflowSettings = .init(), _ body: @Sendable (WorkflowWorld) async throws -> Void) async throws {
        try await TestDatabase.with { database in
            try await Database.withClient(database.settings, logger: TestCluster.logger) { admin in
                _ = try await CatalogStore(client: admin, logger: TestCluster.logger).publish(release)
            }
            try await Database.withClient(database.settings.asService, logger: TestCluster.logger) { client in
                let clock = ManualClock(start)
                let store = WorkflowStore(client: client, logger: TestCluster.logger, clock: clock, settings: settings)
                let practice = try await store.createPractice(
                    PracticeRecord(legalName: "Riverside Radiation Oncology", address: "1 River Rd", licenceNumber: "NRC-1234",
                                   regulator: "US-NRC", scope: PracticeScope(agents: [.lu177PSMA])),
                    facilities: [FacilityRecord(name: "Riverside Main", address: "1 River Rd", isMain: true, distanceMiles: 0),
                                 FacilityRecord(name: "Hilltop Satellite", address: "9 Hill St", isMain: false, distanceMiles: 32)]
                )
                let satellite = try await store.facilities(of: practice).first { $0.name == "Hilltop Satellite" }!.id
                func person(_ name: String, _ role: Role, practice: UUID? = nil, discipline: Discipline? = nil) async throws -> WorkflowActor {
                    WorkflowActor(id: try await store.createPerson(email: "\(name)@example.org", name: name, role: role, practiceID: practice, discipline: discipline), role: role)
                }
                let affiliated = try await person("affiliated", .surveyor, discipline: .medicalPhysicist)
                try await store.declareAffiliation(surveyor: affiliated.id!, facilityID: satellite, nature: "consulting physicist")
                let world = WorkflowWorld(
                    store: store, client: client, database: database.settings.asService, clock: clock, practice: practice, satellite: satellite,
                    admin: try await person("admin", .practiceAdmin, practice: practice),
                    contributor: try await person("contributor", .practiceContributor, practice: practice),
                    staff: try await person("staff", .staff), otherStaff: try await person("other-staff", .staff),
                    staffPhysicist: try await person("staff-physicist", .staff, discipline: .medicalPhysicist),
                    oncologist: try await person("oncologist", .surveyor, discipline: .radiationOncologist),
                    physicist: try await person("physicist", .surveyor, discipline: .medicalPhysicist),
                    affiliatedSurveyor: affiliated
                )
                try await body(world)
            }
        }
    }

    static let releaseID = "wf@2026.1"

    func newApplication() async throws -> UUID {
        try await store.createApplication(practiceID: practice, releaseID: Self.releaseID, pathway: .rptStandalone, termYears: 3, actor: admin)
    }

    func version(_ application: UUID) async throws -> Int { try await store.application(application).version }
    func state(_ application: UUID) async throws -> String { try await store.application(application).state.rawValue }

    @discardableResult
    func fire(_ action: ApplicationAction, _ application: UUID, by actor: WorkflowActor, payload: [String: String] = [:]) async throws -> Fired {
        try await store.fire(action, application: application, actor: actor, expectedVersion: try await version(application), payload: payload)
    }

    func evidence(_ title: String) -> EvidenceMetadata {
        EvidenceMetadata(title: title, kind: .procedure, asOf: "2026-08-01", sha256: String(repeating: "ab", count: 32),
                         byteCount: 1024, mediaType: "application/pdf", fileName: "\(title).pdf")
    }

    /// The happy path from wherever the application is, stopping once `target` is reached.
    func advance(_ application: UUID, to target: ApplicationState, scores: [String: ScoreValue] = [:]) async throws {
        let steps: [ApplicationState: () async throws -> Void] = [
            .draft: { try await fire(.submit, application, by: admin) },
            .submitted: { try await fire(.beginIntake, application, by: staff) },
            .intakeReview: { try await fire(.acceptIntake, application, by: staff) },
            .selfAssessment: {
                for progress in try await store.progress(application: application) where !progress.hasResponse {
                    try await store.respond(application: application, indicator: progress.code, answer: "We do \(progress.code).", actor: contributor)
                }
                _ = try await store.addEvidence(application: application, evidence("licence"), indicators: ["GOV-01"], actor: contributor)
                try await fire(.submitSelfAssessment, application, by: admin)
            },
            .documentReview: { try await fire(.completeDocumentReview, application, by: staff) },
            .readyForVisit: {
                try await acceptTeam(application, [oncologist, physicist])
                try await fire(.scheduleVisit, application, by: staff, payload: ["mode": "on-site", "date": "2026-11-02"])
            },
            .visitScheduled: { try await fire(.completeVisit, application, by: oncologist) },
            .visitCompleted: {
                for progress in try await store.progress(application: application) where progress.score == nil {
                    try await store.score(application: application, indicator: progress.code, value: scores[progress.code] ?? .compliant,
                                          rationale: "Seen at the visit.", actor: oncologist)
                }
                try await fire(.submitReport, application, by: oncologist)
            },
            .reportSubmitted: { try await fire(.beginCommitteeReview, application, by: staff) },
            .committeeReview: { try await fire(.accredit, application, by: staff) },
        ]
        while true {
            let current = try await state(application)
            if current == target.rawValue { return }
            guard let state = ApplicationState(rawValue: current), let step = steps[state] else {
                fatalError("no happy-path step from \(current) towards \(target)")
            }
            try await step()
        }
    }

    func acceptTeam(_ application: UUID, _ surveyors: [WorkflowActor]) async throws {
        for surveyor in surveyors {
            let assignment = try await store.proposeAssignment(application: application, surveyor: surveyor.id!, actor: staff)
            try await store.fire(.accept, assignment: assignment, actor: surveyor, expectedVersion: 1,
                                 attestation: "I have no conflict of interest with this practice.")
        }
    }
}
