import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Persistence
import Synchronization
import TestSupport
import Testing

/// Application reads and transitions over HTTP: who may see what, versions, and the transition table.
@Suite struct ApplicationsAPITests {
    static let password = "correct horse battery"
    final class Seeded: Sendable {
        let application = Mutex<UUID?>(nil)
        var id: UUID { application.withLock { $0! } }
    }

    /// Practice A (admin), practice B (admin), a staff member, an unassigned surveyor; one draft application of A.
    static func seed(_ seeded: Seeded) -> @Sendable (DatabaseSettings) async throws -> Void {
        { settings in
            try await Database.withClient(settings, logger: TestCluster.logger) { client in
                let store = WorkflowStore(client: client, logger: TestCluster.logger)
                var accountSettings = AccountSettings()
                accountSettings.bcryptCost = 4
                let accounts = AccountStore(client: client, logger: TestCluster.logger, settings: accountSettings)
                func practice(_ name: String) async throws -> UUID {
                    try await store.createPractice(
                        PracticeRecord(legalName: name, address: "1 Main St", licenceNumber: "L", regulator: "US-NRC", scope: PracticeScope(agents: [.ra223])),
                        facilities: [FacilityRecord(name: name, address: "1 Main St", isMain: true, distanceMiles: 0)])
                }
                let a = try await practice("Alpha Oncology")
                let b = try await practice("Beta Oncology")
                func person(_ email: String, _ role: Role, practice: UUID? = nil, discipline: Discipline? = nil) async throws -> UUID {
                    let id = try await store.createPerson(email: email, name: email, role: role, practiceID: practice, discipline: discipline)
                    try await accounts.setPassword(person: id, password: password)
                    return id
                }
                let admin = try await person("admin@alpha.org", .practiceAdmin, practice: a)
                _ = try await person("admin@beta.org", .practiceAdmin, practice: b)
                _ = try await person("staff@astro.example", .staff)
                _ = try await person("surveyor@example.org", .surveyor, discipline: .medicalPhysicist)
                let application = try await store.createApplication(practiceID: a, releaseID: TestApp.rptRelease.releaseID, pathway: .rptPaired,
                                                                    termYears: 4, actor: WorkflowActor(id: admin, role: .practiceAdmin))
                seeded.application.withLock { $0 = application }
            }
        }
    }

    static func token(_ client: any TestClientProtocol, _ email: String) async throws -> String {
        let response = try await AccountsAPITests.login(client, email: email, password: password)
        return try #require(response.json["token"] as? String)
    }

    static func get(_ client: any TestClientProtocol, _ path: String, as token: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(token)"])
    }

    static func fire(_ client: any TestClientProtocol, _ id: UUID, as token: String, body: String, ifMatch: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        if let ifMatch { headers[.ifMatch] = ifMatch }
        return try await client.execute(uri: "/api/v1/applications/\(id.uuidString.lowercased())/transitions", method: .post,
                                        headers: headers, body: ByteBuffer(string: body))
    }

    @Test func eachRoleSeesOnlyWhatThePolicyAllows() async throws {
        let seeded = Seeded()
        try await TestApp.run(publish: [TestApp.rptRelease], seed: Self.seed(seeded)) { client in
            let path = "/api/v1/applications/\(seeded.id.uuidString.lowercased())"
            let expected: [(String, HTTPResponse.Status)] = [
                ("admin@alpha.org", .ok), ("staff@astro.example", .ok), ("admin@beta.org", .notFound), ("surveyor@example.org", .notFound),
            ]
            for (email, status) in expected {
                let token = try await Self.token(client, email)
                #expect(try await Self.get(client, path, as: token).status == status, "\(email) GET application")
                #expect(try await Self.get(client, path + "/history", as: token).status == status, "\(email) GET history")
            }
            try await client.execute(uri: path, method: .get) { #expect($0.status == .unauthorized) }
            let staff = try await Self.token(client, "staff@astro.example")
            #expect(try await Self.get(client, "/api/v1/applications/not-a-uuid", as: staff).status == .notFound)
            #expect(try await Self.get(client, "/api/v1/applications/\(UUID().uuidString)", as: staff).status == .notFound)
        }
    }

    @Test func transitionsCarryTheVersionTheCallerSaw() async throws {
        let seeded = Seeded()
        try await TestApp.run(publish: [TestApp.rptRelease], seed: Self.seed(seeded)) { client in
            let admin = try await Self.token(client, "admin@alpha.org")
            let staff = try await Self.token(client, "staff@astro.example")
            let read = try await Self.get(client, "/api/v1/applications/\(seeded.id.uuidString.lowercased())", as: admin)
            let etag = try #require(read.headers[.eTag])
            #expect(etag == "\"v1\"" && read.json["state"] as? String == "draft", "etag: \(etag)")

            let submitted = try await Self.fire(client, seeded.id, as: admin, body: #"{"action":"submit"}"#, ifMatch: etag)
            #expect(submitted.status == .ok)
            #expect(submitted.json["state"] as? String == "submitted" && submitted.headers[.eTag] == "\"v2\"")

            // The same If-Match again is stale: 412; a stale version in the body: 409.
            let stale = try await Self.fire(client, seeded.id, as: staff, body: #"{"action":"begin-intake"}"#, ifMatch: etag)
            #expect(stale.status == .preconditionFailed && stale.json["type"] as? String == "https://apex.example/problems/stale-version")
            #expect(try await Self.fire(client, seeded.id, as: staff, body: #"{"action":"begin-intake","version":1}"#).status == .conflict)

            // The table decides: wrong role 403, wrong state 409, unknown action 422.
            let wrongRole = try await Self.fire(client, seeded.id, as: admin, body: #"{"action":"begin-intake","version":2}"#)
            #expect(wrongRole.status == .forbidden)
            let wrongState = try await Self.fire(client, seeded.id, as: staff, body: #"{"action":"accredit","version":2}"#)
            #expect(wrongState.status == .conflict && wrongState.json["type"] as? String == "https://apex.example/problems/not-allowed-in-state")
            #expect(try await Self.fire(client, seeded.id, as: staff, body: #"{"action":"fly","version":2}"#).status == .unprocessableContent)
            #expect(try await Self.fire(client, seeded.id, as: staff, body: #"{"action":"begin-intake"}"#).status == .badRequest)

            let intake = try await Self.fire(client, seeded.id, as: staff, body: #"{"action":"begin-intake","version":2}"#)
            #expect(intake.status == .ok && intake.json["version"] as? Int == 3)
            let accepted = try await Self.fire(client, seeded.id, as: staff, body: #"{"action":"accept-intake"}"#, ifMatch: "\"v3\"")
            #expect(accepted.status == .ok)

            // A guard refusal names the guard.
            let refused = try await Self.fire(client, seeded.id, as: admin, body: #"{"action":"submit-self-assessment","version":4}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.json["type"] as? String == "https://apex.example/problems/guard-refused/every-applicable-indicator-answered")

            // Another practice's admin cannot act on it either, and learns nothing: 404.
            let beta = try await Self.token(client, "admin@beta.org")
            #expect(try await Self.fire(client, seeded.id, as: beta, body: #"{"action":"withdraw","version":4}"#).status == .notFound)

            let history = try await Self.get(client, "/api/v1/applications/\(seeded.id.uuidString.lowercased())/history", as: admin)
            let actions = (history.json["items"] as? [[String: Any]])?.map { $0["action"] as? String }
            #expect(actions == ["create", "submit", "begin-intake", "accept-intake"])
        }
    }

    @Test(arguments: [#"{"version":1}"#, #"{"action":"submit","version":"one"}"#, #"{"action":"submit","version":1,"extra":true}"#, "nope"])
    func badTransitionBodies(body: String) async throws {
        let seeded = Seeded()
        try await TestApp.run(publish: [TestApp.rptRelease], seed: Self.seed(seeded)) { client in
            let admin = try await Self.token(client, "admin@alpha.org")
            #expect(try await Self.fire(client, seeded.id, as: admin, body: body).status == .badRequest)
        }
    }
}
