import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Persistence
import Synchronization
import TestSupport
import Testing

/// Walks every record action × role × application state over HTTP and checks that the answer is the
/// decision function's (`RecordActions.decide`): allowed → 2xx, forbidden → 403, wrong state → 422,
/// and another practice's application → 404 whatever the action. The applications are put into each
/// state directly (the lifecycles that lead there have their own tests); every caller who may score is
/// given an accepted assignment, so the tenant rule beyond visibility holds for them.
@Suite struct RecordActionWalkTests {
    static let password = "record walk password"
    static let roles: [Role] = [.practiceAdmin, .practiceContributor, .surveyor, .staff, .administrator]
    /// A different indicator per role, so one caller's answer or score never makes another's stale.
    static let indicator: [Role: String] = [.practiceAdmin: "GOV-01", .practiceContributor: "GOV-02", .surveyor: "GOV-04",
                                            .staff: "GOV-05", .administrator: "GOV-06"]

    struct Seeded: Sendable {
        var applications: [ApplicationState: UUID] = [:]
        var documents: [ApplicationState: UUID] = [:]
        /// The surveyor each proposing role proposes (one per role, so proposals never collide).
        var candidates: [Role: UUID] = [:]
    }

    final class SeededBox: Sendable {
        private let value = Mutex(Seeded())
        func withLock<T>(_ body: (inout Seeded) -> T) -> T { value.withLock { body(&$0) } }
    }

    static func seed(_ box: SeededBox) -> @Sendable (DatabaseSettings) async throws -> Void {
        { settings in
            try await Database.withClient(settings, logger: TestCluster.logger) { client in
                let store = WorkflowStore(client: client, logger: TestCluster.logger)
                var accountSettings = AccountSettings()
                accountSettings.bcryptCost = 4
                let accounts = AccountStore(client: client, logger: TestCluster.logger, settings: accountSettings)
                func practice(_ name: String) async throws -> UUID {
                    try await store.createPractice(
                        PracticeRecord(legalName: name, address: "", licenceNumber: "L", regulator: "US-NRC", scope: PracticeScope(agents: [.ra223])),
                        facilities: [FacilityRecord(name: name, address: "", isMain: true, distanceMiles: 0)])
                }
                let a = try await practice("Alpha"), b = try await practice("Beta")
                func person(_ email: String, _ role: Role, _ practice: UUID? = nil, _ discipline: Discipline? = nil) async throws -> UUID {
                    let id = try await store.createPerson(email: email, name: email, role: role, practiceID: practice, discipline: discipline)
                    try await accounts.setPassword(person: id, password: password)
                    return id
                }
                let admin = try await person("practice-admin@walk.example", .practiceAdmin, a)
                _ = try await person("practice-contributor@walk.example", .practiceContributor, a)
                let surveyor = try await person("surveyor@walk.example", .surveyor, nil, .medicalPhysicist)
                let staff = try await person("staff@walk.example", .staff, nil, .radiationOncologist)
                let administrator = try await person("administrator@walk.example", .administrator)
                _ = try await person("other-admin@walk.example", .practiceAdmin, b)
                var seeded = Seeded()
                for role in [Role.staff, .administrator] {
                    seeded.candidates[role] = try await store.createPerson(email: "candidate-\(role.rawValue)@walk.example", name: "Candidate",
                                                                           role: .surveyor, discipline: .radiationOncologist)
                }
                let actor = WorkflowActor(id: admin, role: .practiceAdmin)
                for state in ApplicationState.allCases {
                    let id = try await store.createApplication(practiceID: a, releaseID: TestApp.rptRelease.releaseID, pathway: .rptPaired,
                                                               termYears: 3, actor: actor)
                    _ = try await client.query("UPDATE applications SET state = 'self-assessment' WHERE id = \(id)", logger: TestCluster.logger)
                    let document = try await store.addEvidence(
                        application: id, EvidenceMetadata(title: "Policy", kind: .policy, asOf: "2026-01-01", sha256: String(repeating: "a", count: 64),
                                                          byteCount: 10, mediaType: "application/pdf", fileName: "policy.pdf"),
                        indicators: ["GOV-01"], actor: actor)
                    _ = try await client.query("UPDATE applications SET state = \(state.rawValue) WHERE id = \(id)", logger: TestCluster.logger)
                    for scorer in [surveyor, staff, administrator] {
                        _ = try await client.query("""
                            INSERT INTO assignments (id, application_id, surveyor_id, state, created_at) VALUES (\(UUID()), \(id), \(scorer), 'accepted', now())
                            """, logger: TestCluster.logger)
                    }
                    seeded.applications[state] = id
                    seeded.documents[state] = document
                }
                let result = seeded
                box.withLock { $0 = result }
            }
        }
    }

    /// The request that takes `action` on the application, as the API's clients send it.
    static func request(_ action: RecordAction, role: Role, application id: UUID, document: UUID, seeded: Seeded)
        -> (path: String, method: HTTPRequest.Method, contentType: String, body: String) {
        let base = "/api/v1/applications/\(id.uuidString.lowercased())"
        let code = indicator[role]!
        switch action {
        case .respond: return ("\(base)/responses/\(code)", .put, "application/json", #"{"answer":"Our procedure covers it."}"#)
        case .uploadEvidence:
            return ("\(base)/evidence?title=Policy&kind=policy&as_of=2026-01-01&indicators=\(code)&file_name=p.pdf", .post,
                    "application/octet-stream", "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
        case .linkEvidence:
            return ("\(base)/evidence/\(document.uuidString.lowercased())/links", .post, "application/json", #"{"indicators":["\#(code)"]}"#)
        case .proposeAssignment:
            let candidate = seeded.candidates[role] ?? seeded.candidates[.staff]!
            return ("\(base)/assignments", .post, "application/json", #"{"surveyor_id":"\#(candidate.uuidString.lowercased())"}"#)
        case .score: return ("\(base)/scores/\(code)", .put, "application/json", #"{"value":"compliant","rationale":"Seen on site."}"#)
        case .openRFI: return ("\(base)/rfis", .post, "application/json", #"{"question":"Please send the 2025 audit."}"#)
        }
    }

    @Test func everyRecordActionRoleAndStateAnswersAsTheDecisionFunction() async throws {
        let box = SeededBox()
        try await TestApp.run(publish: [TestApp.rptRelease], seed: Self.seed(box)) { client in
            let seeded = box.withLock { $0 }
            var tokens: [Role: String] = [:]
            func login(_ email: String) async throws -> String {
                try #require(try await AccountsAPITests.login(client, email: email, password: Self.password).json["token"] as? String)
            }
            for role in Self.roles { tokens[role] = try await login("\(role.rawValue)@walk.example") }
            let outsider = try await login("other-admin@walk.example")
            var checked = 0
            for action in RecordAction.allCases {
                for state in ApplicationState.allCases {
                    let id = seeded.applications[state]!, document = seeded.documents[state]!
                    for role in Self.roles {
                        let call = Self.request(action, role: role, application: id, document: document, seeded: seeded)
                        let response = try await client.execute(
                            uri: call.path, method: call.method,
                            headers: [.authorization: "Bearer \(tokens[role]!)", .contentType: call.contentType], body: ByteBuffer(string: call.body))
                        let decision = RecordActions.decide(action, role: role, applicationState: state)
                        let label = "\(action.rawValue) by \(role.rawValue) in \(state.rawValue): \(decision) got \(response.status.code) \(String(buffer: response.body).prefix(300))"
                        switch decision {
                        case .allowed: #expect((200..<300).contains(response.status.code), "\(label)")
                        case .forbidden: #expect(response.status == .forbidden, "\(label)")
                        case .wrongState: #expect(response.status == .unprocessableContent, "\(label)")
                        case .hidden: Issue.record("a visible application decided hidden: \(label)")
                        }
                        checked += 1
                    }
                    // Another practice's admin: hidden, whatever the action and state.
                    let call = Self.request(action, role: .practiceAdmin, application: id, document: document, seeded: seeded)
                    let hidden = try await client.execute(uri: call.path, method: call.method,
                                                          headers: [.authorization: "Bearer \(outsider)", .contentType: call.contentType],
                                                          body: ByteBuffer(string: call.body))
                    #expect(RecordActions.decide(action, role: .practiceAdmin, applicationState: state, visible: false) == .hidden)
                    #expect(hidden.status == .notFound, "\(action.rawValue) by another practice in \(state.rawValue): \(hidden.status.code)")
                    checked += 1
                }
            }
            #expect(checked == RecordAction.allCases.count * ApplicationState.allCases.count * (Self.roles.count + 1))
        }
    }
}
