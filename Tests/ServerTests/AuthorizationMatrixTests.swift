import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Persistence
@testable import Server
import Synchronization
import TestSupport
import Testing

/// Every operation of the OpenAPI document × every role × own and other tenant, on the demonstration
/// data. The expected outcome comes from the domain's `AccessPolicy` and the workflow tables; the test
/// fails on any unexpected allow, any unexpected deny, and any operation the document has that the matrix
/// does not cover.
@Suite struct AuthorizationMatrixTests {
    enum Outcome: String, CustomStringConvertible {
        case allowed, hidden, forbidden, unauthenticated
        var description: String { rawValue }

        init(_ status: HTTPResponse.Status) {
            switch status.code {
            case 401: self = .unauthenticated
            case 403: self = .forbidden
            case 404: self = .hidden
            default: self = .allowed
            }
        }
    }

    struct Caller: Sendable {
        let name: String
        let token: String?
        let identity: Identity?
    }

    struct Target: Sendable {
        let name: String
        let id: String
        let practice: String
        let state: String
        let facts: AccessPolicy.ApplicationFacts
    }

    /// One request of the matrix and the outcome the policy predicts for a caller.
    struct Probe: Sendable {
        let operation: String
        let target: String
        let request: @Sendable (Caller) async throws -> API.Reply
        let expected: @Sendable (Caller) -> Outcome
    }

    static func operationIDs() throws -> Set<String> {
        let document = try String(contentsOfFile: TestApp.standards + "/../Sources/APIDefinition/openapi.yaml", encoding: .utf8)
        return Set(document.matches(of: /operationId: (\w+)/).map { String($0.output.1) })
    }

    @Test func everyOperationRoleAndTenantMatchesThePolicy() async throws {
        try await TestApp.run(publish: [TestApp.rptRelease], demo: true) { client in
            let api = API(client: client)
            var callers = [Caller(name: "anonymous", token: nil, identity: nil)]
            for email in DemoData.logins.map(\.email) {
                let token = try await api.login(email, .demoPassword)
                let me = try await api.call(.get, "/api/v1/me", token: token).json
                let identity = Identity(personID: UUID(uuidString: me["id"] as! String)!, role: Role(rawValue: me["role"] as! String)!,
                                        practiceID: (me["practice_id"] as? String).flatMap(UUID.init(uuidString:)),
                                        displayName: me["display_name"] as! String, email: email)
                callers.append(Caller(name: email, token: token, identity: identity))
            }
            // The harness reads as the staff caller: probes such as a password change end a person's other sessions.
            let staff = try #require(callers.first { $0.name == "staff@apex.example" }?.token)

            // A provisional decision on Mesa's surveyed application gives corrective actions to probe; an RFI on each.
            let applications = try await api.call(.get, "/api/v1/applications", token: staff).items
            let reviewed = try #require(applications.first { $0["state"] as? String == "committee-review" }?["id"] as? String)
            #expect(try await api.fire(reviewed, "grant-provisional", as: staff, reason: "Records incomplete.").status == .ok)
            #expect(try await api.fire(reviewed, "require-corrective-action", as: staff).status == .ok)
            var targets: [Target] = []
            for application in try await api.call(.get, "/api/v1/applications", token: staff).items {
                let id = application["id"] as! String
                _ = try await api.call(.post, "/api/v1/applications/\(id)/rfis", token: staff, json: ["question": "Please send the current licence."])
                let surveyors = try await api.call(.get, "/api/v1/applications/\(id)/assignments", token: staff).items
                    .filter { ["accepted", "completed"].contains($0["state"] as? String) }.compactMap { ($0["surveyor_id"] as? String).flatMap { UUID(uuidString: $0) } }
                targets.append(Target(name: "\(application["practice_name"]!) \(application["state"]!)", id: id,
                                      practice: application["practice_id"] as! String, state: application["state"] as! String,
                                      facts: .init(practiceID: UUID(uuidString: application["practice_id"] as! String)!, surveyors: Set(surveyors))))
            }
            #expect(targets.count == 3)
            let probes = try await Self.probes(api: api, staff: staff, targets: targets, callers: callers)
            #expect(Set(probes.map(\.operation)) == (try Self.operationIDs()), "the matrix covers exactly the document's operations")

            var mismatches: [String] = []
            var count = 0
            for probe in probes {
                // Callers the policy denies go first: an allowed request may change the record's state.
                for caller in callers.sorted(by: { probe.expected($0) != .allowed && probe.expected($1) == .allowed }) {
                    let reply = try await probe.request(caller)
                    count += 1
                    if reply.status.code >= 500 { mismatches.append("\(probe.operation) [\(probe.target)] as \(caller.name): server error \(reply.text)") }
                    let outcome = Outcome(reply.status)
                    let expected = probe.expected(caller)
                    if outcome != expected {
                        mismatches.append("\(probe.operation) [\(probe.target)] as \(caller.name): expected \(expected), got \(reply.status.code) \(reply.text.prefix(200))")
                    }
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.count) of \(count) requests differ from the policy:\n\(mismatches.joined(separator: "\n"))")
            #expect(count > 600)
        }
    }

    // MARK: - The matrix

    /// Signed-in and allowed, or the reason not.
    static func signedIn(_ caller: Caller, _ allowed: (Identity) -> Outcome = { _ in .allowed }) -> Outcome {
        guard let identity = caller.identity else { return .unauthenticated }
        return allowed(identity)
    }

    /// Visible per `AccessPolicy`, then allowed for `roles` (nil: any role that can see it).
    static func onApplication(_ target: Target, _ caller: Caller, roles: Set<Role>? = nil) -> Outcome {
        signedIn(caller) { identity in
            guard AccessPolicy.canView(target.facts, as: identity) else { return .hidden }
            guard roles?.contains(identity.role) ?? true else { return .forbidden }
            return .allowed
        }
    }

    /// The roles the application table lets fire `action` from the target's state.
    static func tableRoles(_ action: ApplicationAction, _ state: String) -> Set<Role> {
        Workflows.application.transitions.first { $0.action == action && $0.from.contains { $0.rawValue == state } }?.roles ?? []
    }

    static let staffRoles: Set<Role> = [.staff, .administrator]

    static func probes(api: API, staff: String, targets: [Target], callers: [Caller]) async throws -> [Probe] {
        var probes: [Probe] = []
        let counter = Atomic<Int>(0)
        @Sendable func unique() -> Int { counter.add(1, ordering: .relaxed).newValue }
        func add(_ operation: String, _ target: String, _ expected: @escaping @Sendable (Caller) -> Outcome,
                 _ request: @escaping @Sendable (Caller) async throws -> API.Reply) {
            probes.append(Probe(operation: operation, target: target, request: request, expected: expected))
        }
        func add(_ operation: String, _ expected: @escaping @Sendable (Caller) -> Outcome,
                 _ request: @escaping @Sendable (Caller) async throws -> API.Reply) {
            add(operation, "-", expected, request)
        }
        let release = TestApp.rptRelease.releaseID
        let practices = Dictionary(try await api.call(.get, "/api/v1/practices", token: staff).items.map { ($0["legal_name"] as! String, $0["id"] as! String) },
                                   uniquingKeysWith: { first, _ in first })
        let surveyorIDs = callers.compactMap(\.identity).filter { $0.role == .surveyor }.map(\.personID)

        // Accounts: any signed-in person, about themselves.
        add("login", { _ in .allowed }) { _ in try await api.call(.post, "/api/v1/auth/login", json: ["email": "staff@apex.example", "password": String.demoPassword]) }
        add("getMe", { signedIn($0) }) { try await api.call(.get, "/api/v1/me", token: $0.token) }
        add("changePassword", { signedIn($0) }) {
            try await api.call(.post, "/api/v1/auth/password", token: $0.token, json: ["current_password": String.demoPassword, "new_password": String.demoPassword])
        }
        add("listApiTokens", { signedIn($0) }) { try await api.call(.get, "/api/v1/auth/tokens", token: $0.token) }
        add("createApiToken", { signedIn($0) }) { try await api.call(.post, "/api/v1/auth/tokens", token: $0.token, json: ["name": "matrix"]) }
        add("revokeApiToken", { signedIn($0) }) { caller in
            // The caller's own token: another person's is "not found" (checked in BadInputTests).
            guard let token = caller.token else { return try await api.call(.delete, "/api/v1/auth/tokens/\(UUID().uuidString)") }
            let created = try await api.call(.post, "/api/v1/auth/tokens", token: token, json: ["name": "to revoke"])
            let id = (created.json["info"] as? [String: any Sendable])?["id"] as? String ?? ""
            return try await api.call(.delete, "/api/v1/auth/tokens/\(id)", token: token)
        }
        add("acceptInvitation", { _ in .allowed }) { _ in
            let invitation = try await api.call(.post, "/api/v1/invitations", token: staff, json: [
                "email": "invitee\(unique())@surveyors.example", "display_name": "Invitee", "role": "surveyor", "discipline": "medical-physicist"])
            return try await api.call(.post, "/api/v1/invitations/accept", json: ["token": invitation["token"] ?? "", "password": "matrix password 2026"])
        }
        // Signing out is probed with a fresh session of the caller, so the matrix keeps its tokens.
        add("logout", { signedIn($0) }) { caller in
            guard let identity = caller.identity else { return try await api.call(.post, "/api/v1/auth/logout") }
            return try await api.call(.post, "/api/v1/auth/logout", token: try await api.login(identity.email, .demoPassword))
        }
        add("listMyAssignments", { signedIn($0) }) { try await api.call(.get, "/api/v1/me/assignments", token: $0.token) }

        // Catalog: any signed-in person.
        add("listCatalogReleases", { signedIn($0) }) { try await api.call(.get, "/api/v1/catalog/releases", token: $0.token) }
        add("getCatalogRelease", { signedIn($0) }) { try await api.call(.get, "/api/v1/catalog/releases/\(release)", token: $0.token) }
        add("getCatalogIndicator", { signedIn($0) }) { try await api.call(.get, "/api/v1/catalog/releases/\(release)/indicators/GOV-01", token: $0.token) }
        add("evaluateApplicability", { signedIn($0) }) {
            try await api.call(.post, "/api/v1/catalog/releases/\(release)/applicability", token: $0.token, json: ["agents": ["ra223"]])
        }

        // People and practices.
        add("createPractice", { signedIn($0) { staffRoles.contains($0.role) ? .allowed : .forbidden } }) { caller in
            try await api.call(.post, "/api/v1/practices", token: caller.token, json: [
                "legal_name": "Matrix Practice \(unique())", "address": "1 Test Way", "licence_number": "M-1", "regulator": "US-NRC",
                "scope": ["agents": ["ra223"]], "main_facility": ["name": "Main", "address": "1 Test Way", "distance_miles": 0]])
        }
        add("listPractices", { signedIn($0) }) { try await api.call(.get, "/api/v1/practices", token: $0.token) }
        add("listPeople", { signedIn($0) { [.surveyor].contains($0.role) ? .forbidden : .allowed } }) { try await api.call(.get, "/api/v1/people", token: $0.token) }
        add("listApplications", { signedIn($0) }) { try await api.call(.get, "/api/v1/applications", token: $0.token) }
        for (name, practice) in practices.sorted(by: { $0.key < $1.key }) {
            let practiceID = UUID(uuidString: practice)!
            let view: @Sendable (Caller) -> Outcome = { signedIn($0) { AccessPolicy.canView(practice: practiceID, as: $0) ? .allowed : .hidden } }
            let edit: @Sendable (Caller) -> Outcome = { caller in
                signedIn(caller) { identity in
                    guard AccessPolicy.canView(practice: practiceID, as: identity) else { return .hidden }
                    return AccessPolicy.canEdit(practice: practiceID, as: identity) ? .allowed : .forbidden
                }
            }
            add("getPractice", name, view) { try await api.call(.get, "/api/v1/practices/\(practice)", token: $0.token) }
            add("updatePracticeScope", name, edit) { caller in
                let current = try await api.call(.get, "/api/v1/practices/\(practice)", token: staff)
                return try await api.call(.put, "/api/v1/practices/\(practice)/scope", token: caller.token, json: current.json["scope"] ?? [:])
            }
            add("addFacility", name, edit) {
                try await api.call(.post, "/api/v1/practices/\(practice)/facilities", token: $0.token,
                                   json: ["name": "Satellite \(unique())", "address": "2 Test Way", "distance_miles": 12.5])
            }
            // Staff invite anyone; a practice admin only into their own practice.
            add("createInvitation", name, { caller in
                signedIn(caller) { identity in
                    if staffRoles.contains(identity.role) { return .allowed }
                    guard identity.role == .practiceAdmin else { return .forbidden }
                    return identity.practiceID == practiceID ? .allowed : .hidden
                }
            }) {
                try await api.call(.post, "/api/v1/invitations", token: $0.token, json: [
                    "email": "contributor\(unique())@practice.example", "display_name": "New Contributor", "role": "practice-contributor",
                    "practice_id": practice])
            }
            // Only practice admins and staff start applications, and practice admins only for their own practice.
            add("createApplication", name, { caller in
                signedIn(caller) { identity in
                    if identity.role == .surveyor { return .forbidden }
                    guard AccessPolicy.canView(practice: practiceID, as: identity) else { return .hidden }
                    return [.practiceAdmin, .staff, .administrator].contains(identity.role) ? .allowed : .forbidden
                }
            }) {
                try await api.call(.post, "/api/v1/applications", token: $0.token,
                                   json: ["practice_id": practice, "release_id": release, "pathway": "rpt-standalone", "term_years": 3])
            }
        }
        // Affiliations: surveyors declare their own; staff anyone's.
        for surveyor in surveyorIDs {
            add("declareAffiliation", surveyor.uuidString, { caller in
                signedIn(caller) { identity in
                    staffRoles.contains(identity.role) || (identity.role == .surveyor && identity.personID == surveyor) ? .allowed : .hidden
                }
            }) {
                try await api.call(.post, "/api/v1/people/\(surveyor.uuidString.lowercased())/affiliations", token: $0.token,
                                   json: ["practice_id": practices["Mesa Cancer Care"]!, "nature": "locum cover, 2025"])
            }
        }

        // Offboarding and role changes: staff, per AccessPolicy; each request gets a newcomer of its own, so
        // the matrix's callers stay as they are.
        @Sendable func newcomer() async throws -> String {
            let invitation = try await api.call(.post, "/api/v1/invitations", token: staff, json: [
                "email": "newcomer\(unique())@surveyors.example", "display_name": "Newcomer", "role": "surveyor", "discipline": "medical-physicist"])
            let accepted = try await api.call(.post, "/api/v1/invitations/accept", json: ["token": invitation["token"] ?? "", "password": "matrix password 2026"])
            return (accepted.json["person"] as? [String: any Sendable])?["id"] as? String ?? ""
        }
        let managePeople: @Sendable (Caller) -> Outcome = { signedIn($0) { AccessPolicy.canManagePeople($0) ? .allowed : .forbidden } }
        add("deactivatePerson", managePeople) { caller in
            try await api.call(.post, "/api/v1/people/\(try await newcomer())/deactivate", token: caller.token, json: ["reason": "matrix"])
        }
        add("changePersonRole", managePeople) { caller in
            try await api.call(.put, "/api/v1/people/\(try await newcomer())/role", token: caller.token, json: ["role": "staff"])
        }

        // Staff reports.
        let staffOnly: @Sendable (Caller) -> Outcome = { signedIn($0) { staffRoles.contains($0.role) ? .allowed : .forbidden } }
        add("getPipeline", staffOnly) { try await api.call(.get, "/api/v1/reports/pipeline", token: $0.token) }
        add("listExpiring", staffOnly) { try await api.call(.get, "/api/v1/reports/expiring?within_days=2000", token: $0.token) }
        add("listOverdue", staffOnly) { try await api.call(.get, "/api/v1/reports/overdue", token: $0.token) }

        // Everything under an application.
        for target in targets {
            let base = "/api/v1/applications/\(target.id)"
            let anyViewer: @Sendable (Caller) -> Outcome = { onApplication(target, $0) }
            for (operation, path) in [("getApplication", ""), ("getApplicationHistory", "/history"), ("verifyApplicationHistory", "/history/verify"),
                                      ("listApplicableIndicators", "/indicators"), ("listResponses", "/responses"), ("listEvidence", "/evidence"),
                                      ("listAssignments", "/assignments"), ("listScores", "/scores"), ("getRecommendation", "/recommendation"),
                                      ("listRfis", "/rfis"), ("listCorrectiveActions", "/corrective-actions"), ("listFiledRecords", "/records")] {
                add(operation, target.name, anyViewer) { try await api.call(.get, base + path, token: $0.token) }
            }
            let indicators = try await api.call(.get, base + "/indicators", token: staff).items
            let code = indicators.first { $0["level"] as? Int == 1 }?["code"] as? String ?? "GOV-01"
            let document = try await api.call(.get, base + "/evidence", token: staff).items.first?["id"] as? String
            let rfi = try await api.call(.get, base + "/rfis", token: staff).items.first?["id"] as? String
            let assignment = try await api.call(.get, base + "/assignments", token: staff).items.first
            let item = try await api.call(.get, base + "/corrective-actions", token: staff).items.first?["id"] as? String

            // The application's own lifecycle: an action the table allows from this state, on the current version.
            let action: ApplicationAction = switch target.state {
            case "accredited": .fileChangeNotice
            case "self-assessment": .submitSelfAssessment
            default: .submitCorrectiveAction
            }
            let roles = tableRoles(action, target.state)
            add("fireTransition", target.name, { onApplication(target, $0, roles: roles) }) { caller in
                try await api.fire(target.id, action.rawValue, as: caller.token ?? "", reader: staff, payload: ["text": "Moved the hot lab."])
            }
            add("putResponse", target.name, { onApplication(target, $0, roles: RecordActions.rule(.respond).roles) }) {
                try await api.call(.put, base + "/responses/\(code)", token: $0.token, json: ["answer": "Updated answer \(unique())."])
            }
            add("putScore", target.name, { onApplication(target, $0, roles: RecordActions.rule(.score).roles) }) {
                try await api.call(.put, base + "/scores/\(code)", token: $0.token, json: ["value": "compliant", "rationale": "Seen."])
            }
            add("uploadEvidence", target.name, { onApplication(target, $0, roles: RecordActions.rule(.uploadEvidence).roles) }) {
                try await api.call(.post, base + "/evidence?title=Matrix&kind=log&as_of=2026-09-30&indicators=\(code)", token: $0.token,
                                   raw: ByteBuffer(string: "%PDF-1.4\nmatrix \(unique())\n"))
            }
            add("proposeAssignment", target.name, { onApplication(target, $0, roles: RecordActions.rule(.proposeAssignment).roles) }) {
                try await api.call(.post, base + "/assignments", token: $0.token, json: ["surveyor_id": surveyorIDs[1].uuidString.lowercased()])
            }
            add("openRfi", target.name, { onApplication(target, $0, roles: RecordActions.rule(.openRFI).roles) }) {
                try await api.call(.post, base + "/rfis", token: $0.token, json: ["question": "Show the spill kit log."])
            }
            if let document {
                add("getEvidence", target.name, anyViewer) { try await api.call(.get, base + "/evidence/\(document)", token: $0.token) }
                add("downloadEvidence", target.name, anyViewer) { try await api.call(.get, base + "/evidence/\(document)/content", token: $0.token) }
                add("linkEvidence", target.name, { onApplication(target, $0, roles: RecordActions.rule(.linkEvidence).roles) }) {
                    try await api.call(.post, base + "/evidence/\(document)/links", token: $0.token, json: ["indicators": [code]])
                }
                // Stale versions: a permitted role reaches the version check (409) and changes nothing.
                add("fireEvidenceTransition", target.name, { onApplication(target, $0, roles: Workflows.evidence.roles(firing: .accept)) }) {
                    try await api.call(.post, base + "/evidence/\(document)/transitions", token: $0.token, json: ["action": "accept", "version": 99])
                }
            }
            if let rfi {
                add("fireRfiTransition", target.name, { onApplication(target, $0, roles: Workflows.rfi.roles(firing: .close)) }) {
                    try await api.call(.post, base + "/rfis/\(rfi)/transitions", token: $0.token, json: ["action": "close", "version": 99])
                }
            }
            if let item {
                add("fireCorrectiveActionTransition", target.name, { onApplication(target, $0, roles: Workflows.correctiveAction.roles(firing: .accept)) }) {
                    try await api.call(.post, base + "/corrective-actions/\(item)/transitions", token: $0.token, json: ["action": "accept", "version": 99])
                }
            }
            if let assignment, let id = assignment["id"] as? String, let surveyor = (assignment["surveyor_id"] as? String).flatMap { UUID(uuidString: $0) } {
                // Only the assigned surveyor answers a proposal; the scheduler completes it.
                add("fireAssignmentTransition", target.name, { caller in
                    signedIn(caller) { identity in
                        if identity.personID == surveyor { return .allowed }
                        return AccessPolicy.canView(target.facts, as: identity) ? .forbidden : .hidden
                    }
                }) {
                    try await api.call(.post, base + "/assignments/\(id)/transitions", token: $0.token, json: ["action": "decline", "version": 99])
                }
            }
        }
        return probes
    }
}
