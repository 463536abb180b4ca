import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Persistence
import PostgresNIO
@testable import Server
import Synchronization
import TestSupport
import Testing

/// Deactivating people and changing their role or practice, over real HTTP on the demonstration data:
/// who may, what ends (sessions, API tokens, open invitations), what stays (records, history), and the
/// refusals for every input.
@Suite struct OffboardingTests {
    /// The demonstration, an administrator (made as the command line does) and the database, for looking
    /// at what the API does not show.
    struct World: Sendable {
        let api: API
        let database: DatabaseSettings
        let staff: String
        var people: [String: String] = [:]

        func token(_ email: String) async throws -> String { try await api.login(email, .demoPassword) }
        func id(_ email: String) -> String { people[email]! }

        func query<T: Sendable>(_ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
            try await Database.withClient(database, logger: TestCluster.logger, body)
        }

        /// `person_events` of one person: action, actor, reason, detail, oldest first. Passwords set while
        /// seeding the demonstration are left out unless asked for.
        func events(of person: String, passwords: Bool = false) async throws -> [(String, UUID?, String, String)] {
            try await query { client in
                var rows: [(String, UUID?, String, String)] = []
                for try await row in try await client.query("""
                    SELECT action, actor_id, reason, detail::text FROM person_events
                    WHERE person_id = \(UUID(uuidString: person)!) AND (\(passwords) OR action <> 'password-set') ORDER BY id
                    """, logger: TestCluster.logger).decode((String, UUID?, String, String).self) { rows.append(row) }
                return rows
            }
        }
    }

    static let administrator = "root@astro.example"

    static func run(_ body: @escaping @Sendable (World) async throws -> Void) async throws {
        let database = Mutex<DatabaseSettings?>(nil)
        try await TestApp.run(publish: [TestApp.rptRelease], seed: { settings in
            database.withLock { $0 = settings }
            try await Database.withClient(settings, logger: TestCluster.logger) { client in
                let id = try await WorkflowStore(client: client, logger: TestCluster.logger)
                    .createPerson(email: administrator, name: "Root Admin", role: .administrator)
                var accounts = AccountSettings()
                accounts.bcryptCost = 4
                try await AccountStore(client: client, logger: TestCluster.logger, settings: accounts).setPassword(person: id, password: .demoPassword)
            }
        }, demo: true) { client in
            let api = API(client: client)
            let staff = try await api.login("staff@apex.example", .demoPassword)
            var world = World(api: api, database: try #require(database.withLock { $0 }), staff: staff)
            var cursor: String?
            repeat {
                let page = try await api.call(.get, "/api/v1/people?limit=200" + (cursor.map { "&cursor=\($0)" } ?? ""), token: staff)
                for person in page.items { world.people[person["email"] as! String] = (person["id"] as! String) }
                cursor = page["next_cursor"]
            } while cursor != nil
            try await body(world)
        }
    }

    static func invite(_ api: API, as token: String, _ email: String, role: String = "practice-contributor", practice: String?) async throws -> API.Reply {
        var body: [String: Any] = ["email": email, "display_name": "Invitee", "role": role]
        if let practice { body["practice_id"] = practice }
        return try await api.call(.post, "/api/v1/invitations", token: token, json: body)
    }

    static func accept(_ api: API, _ invitation: API.Reply) async throws -> API.Reply {
        try await api.call(.post, "/api/v1/invitations/accept", json: ["token": invitation["token"] ?? "", "password": "a fine new password"])
    }

    // MARK: - Deactivation

    @Test func deactivationEndsSessionsTokensAndInvitationsAndKeepsTheHistory() async throws {
        try await Self.run { world in
            let api = world.api
            let adminEmail = "admin@lakeside.example"
            let admin = world.id(adminEmail)
            let session = try await world.token(adminEmail)
            let apiToken = try #require(try await api.call(.post, "/api/v1/auth/tokens", token: session, json: ["name": "integration"])["token"])
            let lakeside = try #require(try await api.call(.get, "/api/v1/me", token: session)["practice_id"])
            let invitation = try await Self.invite(api, as: session, "new.colleague@lakeside.example", practice: lakeside)
            #expect(invitation.status == .created)

            let done = try await api.call(.post, "/api/v1/people/\(admin)/deactivate", token: world.staff, json: ["reason": "Left the practice."])
            #expect(done.status == .ok, "\(done.text)")
            #expect((done.json["person"] as? [String: any Sendable])?["deactivated_at"] is String)
            #expect(done.json["sessions_ended"] as? Int == 2)
            #expect(done.json["invitations_revoked"] as? Int == 1)

            #expect(try await api.call(.get, "/api/v1/me", token: session).status == .unauthorized)
            #expect(try await api.call(.get, "/api/v1/me", token: apiToken).status == .unauthorized)
            // Signing in gets the answer of a wrong password, nothing that tells the account exists.
            let signIn = try await api.call(.post, "/api/v1/auth/login", json: ["email": adminEmail, "password": String.demoPassword])
            let unknown = try await api.call(.post, "/api/v1/auth/login", json: ["email": "nobody@lakeside.example", "password": String.demoPassword])
            #expect(signIn.status == .unauthorized && signIn["detail"] == unknown["detail"])
            #expect(try await Self.accept(api, invitation).status == .notFound)

            // Still listed, marked; nobody else is.
            let people = try await api.call(.get, "/api/v1/people?limit=200", token: world.staff).items
            #expect(people.filter { $0["deactivated_at"] != nil }.map { $0["id"] as? String } == [admin])
            // Their part in the history stays.
            let accredited = try #require(try await api.call(.get, "/api/v1/applications?practice_id=\(lakeside)", token: world.staff).items.first?["id"] as? String)
            let history = try await api.call(.get, "/api/v1/applications/\(accredited)/history", token: world.staff).items
            #expect(history.contains { $0["actor_id"] as? String == admin })
            #expect(try await api.call(.get, "/api/v1/applications/\(accredited)/history/verify", token: world.staff).json["ok"] as? Bool != false)

            // Once is enough.
            let again = try await api.call(.post, "/api/v1/people/\(admin)/deactivate", token: world.staff, json: ["reason": "Twice."])
            #expect(again.status == .conflict && again["type"] == "https://apex.example/problems/not-allowed-in-state")
            // Nor can they be given another role.
            #expect(try await api.call(.put, "/api/v1/people/\(admin)/role", token: world.staff, json: ["role": "staff"]).status == .conflict)

            let events = try await world.events(of: admin)
            #expect(events.count == 1)
            #expect(events.first?.0 == "deactivated" && events.first?.1 == UUID(uuidString: world.id("staff@apex.example")))
            #expect(events.first?.2 == "Left the practice.")
            #expect(events.first?.3.contains("\"invitations_revoked\": 1") == true)
        }
    }

    @Test func onlyStaffManagePeopleAndNobodyThemselves() async throws {
        try await Self.run { world in
            let api = world.api
            let colleague = world.id("physicist@lakeside.example")
            let missing = UUID().uuidString.lowercased()
            // Other roles are refused before anything is looked up: an existing and a missing person alike.
            for email in ["admin@lakeside.example", "physicist@lakeside.example", "oncologist@surveyors.example"] {
                let token = try await world.token(email)
                for person in [colleague, missing] {
                    #expect(try await api.call(.post, "/api/v1/people/\(person)/deactivate", token: token, json: ["reason": "x"]).status == .forbidden)
                    #expect(try await api.call(.put, "/api/v1/people/\(person)/role", token: token, json: ["role": "staff"]).status == .forbidden)
                }
            }
            #expect(try await api.call(.post, "/api/v1/people/\(colleague)/deactivate", json: ["reason": "x"]).status == .unauthorized)

            let staffID = world.id("staff@apex.example")
            #expect(try await api.call(.post, "/api/v1/people/\(missing)/deactivate", token: world.staff, json: ["reason": "x"]).status == .notFound)
            #expect(try await api.call(.post, "/api/v1/people/not-an-id/deactivate", token: world.staff, json: ["reason": "x"]).status == .notFound)
            #expect(try await api.call(.put, "/api/v1/people/\(missing)/role", token: world.staff, json: ["role": "staff"]).status == .notFound)
            let yourself = try await api.call(.post, "/api/v1/people/\(staffID)/deactivate", token: world.staff, json: ["reason": "x"])
            #expect(yourself.status == .unprocessableContent && yourself["detail"]?.contains("themselves") == true, "\(yourself.text)")
            #expect(try await api.call(.put, "/api/v1/people/\(staffID)/role", token: world.staff, json: ["role": "surveyor", "discipline": "medical-physicist"])
                .status == .unprocessableContent)
            // Staff do not manage an administrator; an administrator does.
            let root = world.id(Self.administrator)
            #expect(try await api.call(.post, "/api/v1/people/\(root)/deactivate", token: world.staff, json: ["reason": "x"]).status == .forbidden)
            #expect(try await api.call(.put, "/api/v1/people/\(root)/role", token: world.staff, json: ["role": "staff"]).status == .forbidden)
            let rootToken = try await world.token(Self.administrator)
            let byRoot = try await api.call(.post, "/api/v1/people/\(world.id("survey-physicist@apex.example"))/deactivate", token: rootToken,
                                            json: ["reason": "Retired."])
            #expect(byRoot.status == .ok)

            // Bodies.
            let path = "/api/v1/people/\(colleague)/deactivate"
            #expect(try await api.call(.post, path, token: world.staff, json: [String: String]()).status == .badRequest)
            #expect(try await api.call(.post, path, token: world.staff, json: ["reason": "x", "force": true]).status == .badRequest)
            #expect(try await api.call(.post, path, token: world.staff, json: ["reason": "   "]).status == .unprocessableContent)
            #expect(try await api.call(.post, path, token: world.staff, json: ["reason": String(repeating: "r", count: 501)]).status == .unprocessableContent)
            #expect(try await api.call(.post, path, token: world.staff, json: ["reason": "left\u{7}"]).status == .unprocessableContent)
            // NUL is refused at the boundary, before the handler (400); either way nothing is stored.
            #expect([.badRequest, .unprocessableContent].contains(try await api.call(.post, path, token: world.staff, json: ["reason": "left\u{0}"]).status))
            #expect(try await api.call(.post, path, token: world.staff, raw: ByteBuffer(string: "reason"), contentType: "text/plain").status == .unsupportedMediaType)
            // None of that did anything.
            #expect(try await world.events(of: colleague).isEmpty)
        }
    }

    /// Two staff members deactivating each other at the same moment cannot leave nobody: the second finds
    /// themselves signed out.
    @Test func twoStaffCannotDeactivateEachOtherAtOnce() async throws {
        try await Self.run { world in
            let api = world.api
            let other = try await world.token("survey-physicist@apex.example")
            async let first = api.call(.post, "/api/v1/people/\(world.id("survey-physicist@apex.example"))/deactivate", token: world.staff, json: ["reason": "a"])
            async let second = api.call(.post, "/api/v1/people/\(world.id("staff@apex.example"))/deactivate", token: other, json: ["reason": "b"])
            let statuses = [try await first.status, try await second.status]
            #expect(statuses.filter { $0 == .ok }.count == 1, "\(statuses)")
            #expect(statuses.contains(.unauthorized))
        }
    }

    // MARK: - Role and practice changes

    @Test func roleAndPracticeChangesFollowTheInvitationRules() async throws {
        try await Self.run { world in
            let api = world.api
            let email = "physicist@lakeside.example"
            let person = world.id(email)
            let practices = try await api.call(.get, "/api/v1/practices", token: world.staff).items
            let lakeside = try #require(practices.first { $0["legal_name"] as? String == "Lakeside Radiation Oncology" }?["id"] as? String)
            let mesa = try #require(practices.first { $0["legal_name"] as? String == "Mesa Cancer Care" }?["id"] as? String)
            let path = "/api/v1/people/\(person)/role"

            // Refused combinations, as for an invitation: nothing changes.
            for (body, status) in [
                (["role": "practice-contributor"], HTTPResponse.Status.unprocessableContent),
                (["role": "staff", "practice_id": lakeside], .unprocessableContent),
                (["role": "surveyor"], .unprocessableContent),
                (["role": "practice-admin", "practice_id": lakeside, "discipline": "medical-physicist"], .unprocessableContent),
                (["role": "administrator"], .badRequest),
                (["role": "system"], .badRequest),
                (["role": "practice-admin", "practice_id": UUID().uuidString], .notFound),
                (["role": "practice-admin", "practice_id": "not-a-practice"], .notFound),
                (["role": "staff", "reason": String(repeating: "r", count: 501)], .unprocessableContent),
                (["role": "staff", "colour": "blue"], .badRequest),
            ] as [([String: String], HTTPResponse.Status)] {
                let reply = try await api.call(.put, path, token: world.staff, json: body)
                #expect(reply.status == status, "\(body): \(reply.status) \(reply.text)")
            }
            #expect(try await world.events(of: person).isEmpty)

            // The same role and practice again: nothing happens, the person stays signed in.
            let before = try await world.token(email)
            let same = try await api.call(.put, path, token: world.staff, json: ["role": "practice-contributor", "practice_id": lakeside])
            #expect(same.status == .ok && same["role"] == "practice-contributor")
            #expect(try await api.call(.get, "/api/v1/me", token: before).status == .ok)

            // Promoted within the practice: their sessions end, the new role holds at the next sign-in.
            let promoted = try await api.call(.put, path, token: world.staff, json: ["role": "practice-admin", "practice_id": lakeside, "reason": "New RSO."])
            #expect(promoted.status == .ok && promoted["role"] == "practice-admin" && promoted["practice_id"] == lakeside)
            #expect(try await api.call(.get, "/api/v1/me", token: before).status == .unauthorized)
            let asAdmin = try await world.token(email)
            #expect(try await api.call(.get, "/api/v1/me", token: asAdmin)["role"] == "practice-admin")

            // Moved to another practice: they see that one's records, no longer the first's.
            let moved = try await api.call(.put, path, token: world.staff, json: ["role": "practice-contributor", "practice_id": mesa])
            #expect(moved.status == .ok && moved["practice_id"] == mesa)
            let inMesa = try await world.token(email)
            #expect(try await api.call(.get, "/api/v1/practices/\(mesa)", token: inMesa).status == .ok)
            #expect(try await api.call(.get, "/api/v1/practices/\(lakeside)", token: inMesa).status == .notFound)

            // And to staff, leaving practices behind.
            let toStaff = try await api.call(.put, path, token: world.staff, json: ["role": "staff", "discipline": "medical-physicist"])
            #expect(toStaff.status == .ok && toStaff["practice_id"] == nil && toStaff["discipline"] == "medical-physicist")

            let events = try await world.events(of: person)
            #expect(events.map(\.0) == ["role-changed", "role-changed", "role-changed"])
            #expect(events.first?.2 == "New RSO.")
            #expect(events.first?.3.contains("\"role\": \"practice-contributor\"") == true && events.first?.3.contains("\"role\": \"practice-admin\"") == true)
        }
    }

    @Test func aDisciplineDoesNotChangeUnderAnOpenAssignment() async throws {
        try await Self.run { world in
            let api = world.api
            let surveyor = world.id("oncologist@surveyors.example")
            let open = try await api.call(.get, "/api/v1/applications?state=self-assessment", token: world.staff).items
            let application = try #require(open.first?["id"] as? String)
            _ = try await api.call(.post, "/api/v1/applications/\(application)/assignments", token: world.staff, json: ["surveyor_id": surveyor])
            let mine = try await api.call(.get, "/api/v1/me/assignments", token: try await world.token("oncologist@surveyors.example")).items
            #expect(mine.contains { ["proposed", "accepted"].contains($0["state"] as? String) })

            let path = "/api/v1/people/\(surveyor)/role"
            for body in [["role": "surveyor", "discipline": "medical-physicist"], ["role": "staff"]] {
                let reply = try await api.call(.put, path, token: world.staff, json: body)
                #expect(reply.status == .unprocessableContent && reply["detail"]?.contains("assignment") == true, "\(body): \(reply.text)")
            }
            // Same discipline, another role: the team keeps its oncologist.
            let reply = try await api.call(.put, path, token: world.staff, json: ["role": "staff", "discipline": "radiation-oncologist"])
            #expect(reply.status == .ok, "\(reply.text)")
        }
    }

    // MARK: - Invitations sent with an authority that has gone

    @Test func invitationsSentBeforeARoleChangeOrAPasswordResetNoLongerWork() async throws {
        try await Self.run { world in
            let api = world.api
            let admin = try await world.token("admin@lakeside.example")
            let lakeside = try #require(try await api.call(.get, "/api/v1/me", token: admin)["practice_id"])
            let first = try await Self.invite(api, as: admin, "first@lakeside.example", role: "practice-admin", practice: lakeside)
            #expect(first.status == .created)
            // An operator resets the admin's password (as `apex accounts set-password` does).
            try await world.query { client in
                var settings = AccountSettings()
                settings.bcryptCost = 4
                try await AccountStore(client: client, logger: TestCluster.logger, settings: settings)
                    .setPassword(person: UUID(uuidString: world.id("admin@lakeside.example"))!, password: "an operator's new password")
            }
            #expect(try await Self.accept(api, first).status == .notFound)
            let reset = try await world.events(of: world.id("admin@lakeside.example"), passwords: true)
            #expect(reset.last?.0 == "password-set" && reset.last?.1 == nil && reset.last?.3.contains("\"invitations_revoked\": 1") == true)

            // Sent again, then the admin becomes a contributor: the invitation goes with the authority.
            let newAdmin = try await api.login("admin@lakeside.example", "an operator's new password")
            let second = try await Self.invite(api, as: newAdmin, "second@lakeside.example", role: "practice-admin", practice: lakeside)
            #expect(second.status == .created)
            let demoted = try await api.call(.put, "/api/v1/people/\(world.id("admin@lakeside.example"))/role", token: world.staff,
                                             json: ["role": "practice-contributor", "practice_id": lakeside])
            #expect(demoted.status == .ok)
            #expect(try await Self.accept(api, second).status == .notFound)
            // An invitation staff sent is not touched by any of it.
            let fromStaff = try await Self.invite(api, as: world.staff, "third@lakeside.example", practice: lakeside)
            #expect(try await Self.accept(api, fromStaff).status == .created)
        }
    }
}
