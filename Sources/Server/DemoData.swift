import AccreditationCore
import Foundation
import Logging
import NIOCore
import Persistence
import PostgresNIO

/// `apex serve --demo`: a believable programme to click through, seeded once. ASTRO staff, two practices
/// with admins and contributors, a radiation oncologist and a medical physicist as surveyors, and
/// applications in self-assessment (with evidence), in committee review, and accredited. Every step goes
/// through the same stores, guards and history as real use; nothing is written around them.
struct DemoData {
    let workflow: WorkflowStore
    let accounts: AccountStore
    let storage: any EvidenceStorage
    let logger: Logger

    /// Shared by every demonstration account; printed at start. Never use `--demo` with real data.
    static let password = "demo-password-2026"

    struct Login {
        let email: String
        let role: String
        let note: String
    }

    static let logins: [Login] = [
        Login(email: "staff@apex.example", role: "staff", note: "ASTRO staff: intake, assignments, decisions, reports"),
        Login(email: "survey-physicist@apex.example", role: "staff", note: "ASTRO staff medical physicist who also surveys"),
        Login(email: "admin@lakeside.example", role: "practice-admin", note: "Lakeside Radiation Oncology (Indiana, NRC-regulated)"),
        Login(email: "physicist@lakeside.example", role: "practice-contributor", note: "Lakeside Radiation Oncology"),
        Login(email: "admin@mesa.example", role: "practice-admin", note: "Mesa Cancer Care (Texas, an Agreement State)"),
        Login(email: "rso@mesa.example", role: "practice-contributor", note: "Mesa Cancer Care"),
        Login(email: "oncologist@surveyors.example", role: "surveyor", note: "radiation oncologist"),
        Login(email: "physicist@surveyors.example", role: "surveyor", note: "medical physicist"),
    ]

    /// Seeds unless the demonstration is already there (its staff account exists). Returns whether it seeded.
    func isSeeded() async throws -> Bool {
        try await workflow.people(practice: nil, role: .staff, after: nil, limit: 200).contains(where: { $0.email == Self.logins[0].email })
    }

    @discardableResult
    func seedOnce() async throws -> Bool {
        if try await isSeeded() { return false }
        guard let release = try await workflow.newestPublishedRelease() else {
            logger.warning("No published catalog release; the demonstration needs one (see Standards/)")
            return false
        }
        let staff = try await person("staff@apex.example", "Dana Whitfield", .staff)
        let lakeside = try await workflow.createPractice(
            PracticeRecord(legalName: "Lakeside Radiation Oncology", address: "400 Shore Drive, Michigan City, IN", licenceNumber: "13-32145-01",
                           regulator: "US-NRC",
                           scope: PracticeScope(agents: [.lu177PSMA, .lu177DOTATATE, .ra223], patientSpecificDosimetry: true, siteCount: 2,
                                                licensedUseTypes: 2, jurisdiction: "US-NRC")),
            facilities: [FacilityRecord(name: "Lakeside Main Campus", address: "400 Shore Drive, Michigan City, IN", isMain: true, distanceMiles: 0),
                         FacilityRecord(name: "Lakeside Prairie Clinic", address: "12 Prairie Road, La Porte, IN", isMain: false, distanceMiles: 12)])
        let mesa = try await workflow.createPractice(
            PracticeRecord(legalName: "Mesa Cancer Care", address: "2100 Canyon Boulevard, El Paso, TX", licenceNumber: "L-06789",
                           regulator: "US-TX",
                           scope: PracticeScope(agents: [.lu177PSMA, .i131, .y90Microspheres], inpatientTherapy: true, siteCount: 1,
                                                licensedUseTypes: 3, jurisdiction: "US-TX")),
            facilities: [FacilityRecord(name: "Mesa Cancer Care", address: "2100 Canyon Boulevard, El Paso, TX", isMain: true, distanceMiles: 0)])
        let lakesideAdmin = try await person("admin@lakeside.example", "Priya Raman", .practiceAdmin, practice: lakeside)
        let lakesidePhysicist = try await person("physicist@lakeside.example", "Tom Okafor", .practiceContributor, practice: lakeside)
        let mesaAdmin = try await person("admin@mesa.example", "Elena Ortiz", .practiceAdmin, practice: mesa)
        let mesaRSO = try await person("rso@mesa.example", "Sam Whitaker", .practiceContributor, practice: mesa)
        let oncologist = try await person("oncologist@surveyors.example", "Dr. Grace Liu", .surveyor, discipline: .radiationOncologist)
        let physicist = try await person("physicist@surveyors.example", "Dr. Marcus Bell", .surveyor, discipline: .medicalPhysicist)
        // A declared tie, so the conflict-of-interest check has something to refuse in the demo.
        try await workflow.declareAffiliation(surveyor: physicist.id!, practiceID: lakeside, nature: "former consulting physicist (2022)")

        let team = Team(staff: staff, surveyors: [oncologist, physicist])
        // Lakeside: an accredited cycle. The surveying physicist is affiliated with Lakeside, so its team is the
        // oncologist and a staff physicist. Mesa: one application in self-assessment with evidence, one surveyed
        // and waiting for the committee.
        let staffPhysicist = try await person("survey-physicist@apex.example", "Dr. Ana Petrov", .staff, discipline: .medicalPhysicist)
        let lakesideTeam = Team(staff: staff, surveyors: [oncologist, staffPhysicist])
        let accredited = try await workflow.createApplication(practiceID: lakeside, releaseID: release, pathway: .rptPaired, termYears: 4, actor: lakesideAdmin)
        try await advance(accredited, to: .accredited, admin: lakesideAdmin, contributor: lakesidePhysicist, team: lakesideTeam, decider: staff)
        let current = try await workflow.createApplication(practiceID: mesa, releaseID: release, pathway: .rptStandalone, termYears: 3, actor: mesaAdmin)
        try await advance(current, to: .selfAssessment, admin: mesaAdmin, contributor: mesaRSO, team: team, decider: staff)
        try await answerSome(current, contributor: mesaRSO)
        let reviewed = try await workflow.createApplication(practiceID: mesa, releaseID: release, pathway: .rptStandalone, termYears: 3, actor: mesaAdmin)
        try await advance(reviewed, to: .committeeReview, admin: mesaAdmin, contributor: mesaRSO, team: team, decider: staff)
        logger.info("Seeded the demonstration", metadata: ["release": "\(release)"])
        return true
    }

    static func printLogins(host: String, port: Int) {
        var lines = ["", "Demonstration sign-ins (password for all: \(password)):"]
        for login in logins {
            lines.append("  \(login.email.padding(toLength: 30, withPad: " ", startingAt: 0)) \(login.role.padding(toLength: 21, withPad: " ", startingAt: 0)) \(login.note)")
        }
        lines.append("Sign in: curl -s -X POST http://\(host):\(port == 0 ? "PORT" : String(port))/api/v1/auth/login -H 'Content-Type: application/json' "
                     + "-d '{\"email\":\"staff@apex.example\",\"password\":\"\(password)\"}'")
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n\n").utf8))
    }

    // MARK: -

    struct Team {
        let staff: WorkflowActor
        let surveyors: [WorkflowActor]
    }

    private func person(_ email: String, _ name: String, _ role: Role, practice: UUID? = nil, discipline: Discipline? = nil) async throws -> WorkflowActor {
        // Stored in the canonical form sign-in looks up (the database refuses any other).
        let id = try await workflow.createPerson(email: try EmailAddress(email).canonical, name: name, role: role,
                                                 practiceID: practice, discipline: discipline)
        try await accounts.setPassword(person: id, password: Self.password)
        return WorkflowActor(id: id, role: role)
    }

    private func fire(_ action: ApplicationAction, _ application: UUID, by actor: WorkflowActor, reason: String = "", payload: [String: String] = [:]) async throws {
        let version = try await workflow.application(application).version
        try await workflow.fire(action, application: application, actor: actor, expectedVersion: version, reason: reason, payload: payload)
    }

    /// A small real file of the given kind in storage (so downloads work), with its metadata.
    private func document(_ title: String, kind: EvidenceKind, text: String, csv: Bool = false) async throws -> EvidenceMetadata {
        let bytes = csv ? Array(text.utf8) : Self.pdf(text)
        let stream = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            continuation.yield(ByteBuffer(bytes: bytes))
            continuation.finish()
        }
        let stored = try await storage.store(stream, limit: 1 << 20)
        let name = title.lowercased().replacingOccurrences(of: " ", with: "-") + (csv ? ".csv" : ".pdf")
        return EvidenceMetadata(title: title, kind: kind, asOf: "2026-09-30", sha256: stored.sha256, byteCount: stored.byteCount,
                                mediaType: stored.type.mediaType, fileName: name)
    }

    /// A minimal one-page PDF showing `text`.
    static func pdf(_ text: String) -> [UInt8] {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "(", with: "\\(").replacingOccurrences(of: ")", with: "\\)")
        let stream = "BT /F1 12 Tf 72 720 Td (\(escaped)) Tj ET"
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        var out = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(out.utf8.count)
            out += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = out.utf8.count
        out += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n" + offsets.map { String(format: "%010d 00000 n \n", $0) }.joined()
        out += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Array(out.utf8)
    }

    /// Some responses and two documents: a self-assessment part-way through.
    private func answerSome(_ application: UUID, contributor: WorkflowActor) async throws {
        let progress = try await workflow.progress(application: application)
        for item in progress.prefix(progress.count / 2) {
            try await workflow.respond(application: application, indicator: item.code, answer: Self.answer(item.code), actor: contributor)
        }
        let levelOne = progress.filter { $0.level == .mustMeet }.map(\.code)
        _ = try await workflow.addEvidence(application: application, try await document("Radioactive materials licence", kind: .licence,
                                                                                        text: "Texas radioactive material licence L-06789 (demonstration)"),
                                           indicators: Array(levelOne.prefix(3)), actor: contributor)
        _ = try await workflow.addEvidence(application: application, try await document("Dose calibrator constancy log", kind: .log,
                                                                                        text: "date,nuclide,reading_mbq,expected_mbq\n2026-09-01,Cs-137,7.21,7.20\n2026-09-02,Cs-137,7.19,7.20\n",
                                                                                        csv: true),
                                           indicators: Array(levelOne.dropFirst(3).prefix(2)), actor: contributor)
    }

    static func answer(_ code: String) -> String {
        "Our written procedure covers \(code); it was reviewed by the radiation safety committee in September 2026 and is attached where evidence is asked for."
    }

    /// The happy path, step by step, as each role would take it.
    private func advance(_ application: UUID, to target: ApplicationState, admin: WorkflowActor, contributor: WorkflowActor, team: Team, decider: WorkflowActor) async throws {
        while case let state = try await workflow.application(application).state, state != target {
            switch state {
            case .draft: try await fire(.submit, application, by: admin)
            case .submitted: try await fire(.beginIntake, application, by: team.staff)
            case .intakeReview: try await fire(.acceptIntake, application, by: team.staff)
            case .selfAssessment:
                let progress = try await workflow.progress(application: application)
                for item in progress where !item.hasResponse {
                    try await workflow.respond(application: application, indicator: item.code, answer: Self.answer(item.code), actor: contributor)
                }
                let manual = try await document("RPT programme manual", kind: .procedure,
                                                text: "Radiopharmaceutical therapy programme manual (demonstration)")
                _ = try await workflow.addEvidence(application: application, manual, indicators: progress.filter { $0.level == .mustMeet }.map(\.code),
                                                   actor: contributor)
                try await fire(.submitSelfAssessment, application, by: admin)
            case .documentReview: try await fire(.completeDocumentReview, application, by: team.staff)
            case .readyForVisit:
                for surveyor in team.surveyors {
                    let assignment = try await workflow.proposeAssignment(application: application, surveyor: surveyor.id!, actor: team.staff)
                    try await workflow.fire(.accept, assignment: assignment, actor: surveyor, expectedVersion: 1,
                                            attestation: "I have no financial, employment or personal tie to this practice or its facilities.")
                }
                try await fire(.scheduleVisit, application, by: team.staff, payload: ["mode": "on-site", "date": "2026-10-20"])
            case .visitScheduled: try await fire(.completeVisit, application, by: team.surveyors[0])
            case .visitCompleted:
                for (index, item) in try await workflow.progress(application: application).enumerated() where item.score == nil {
                    // A few level-2 findings make the roll-up worth reading.
                    let value: ScoreValue = item.level != .mustMeet && index % 7 == 3 ? .partiallyCompliant : .compliant
                    try await workflow.score(application: application, indicator: item.code, value: value,
                                             rationale: value == .compliant ? "Procedure and records seen at the visit." : "Procedure in place; records incomplete for two months.",
                                             actor: team.surveyors[0])
                }
                try await fire(.submitReport, application, by: team.surveyors[0])
            case .reportSubmitted: try await fire(.beginCommitteeReview, application, by: team.staff)
            case .committeeReview: try await fire(.accredit, application, by: decider, reason: "All level-1 indicators compliant; the committee agrees with the recommendation.")
            default: return
            }
        }
    }
}
