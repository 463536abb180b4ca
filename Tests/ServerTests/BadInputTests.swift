import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Persistence
import Server
import TestSupport
import Synchronization
import Testing

/// Bad input over HTTP on the demonstration data: each case gets a clear problem document and leaves
/// nothing behind (no file, no row, no history event).
@Suite struct BadInputTests {
    struct World {
        let api: API
        let staff: String
        let contributor: String
        let otherAdmin: String
        let application: String
        let levelOne: String
    }

    /// The demonstration with Mesa's self-assessment application at hand.
    static func withWorld(limit: Int64 = 100 << 20, clock: any WorkflowClock = SystemClock(), evidence: @escaping @Sendable (String) -> Void = { _ in },
                          _ body: @escaping @Sendable (World) async throws -> Void) async throws {
        try await TestApp.run(publish: [TestApp.rptRelease], clock: clock, configure: { configuration in
            configuration.maxUploadBytes = limit
            evidence(configuration.evidenceRoot)
        }, demo: true) { client in
            let api = API(client: client)
            let staff = try await api.login("staff@apex.example", .demoPassword)
            let application = try #require(try await api.call(.get, "/api/v1/applications?state=self-assessment", token: staff).items.first?["id"] as? String)
            let levelOne = try #require(try await api.call(.get, "/api/v1/applications/\(application)/indicators", token: staff).items
                .first { $0["level"] as? Int == 1 }?["code"] as? String)
            try await body(World(api: api, staff: staff, contributor: try await api.login("rso@mesa.example", .demoPassword),
                                 otherAdmin: try await api.login("admin@lakeside.example", .demoPassword),
                                 application: application, levelOne: levelOne))
        }
    }

    static func uploadPath(_ world: World, fileName: String = "licence.pdf", extra: String = "") -> String {
        "/api/v1/applications/\(world.application)/evidence?title=Licence&kind=licence&as_of=2026-09-30&indicators=\(world.levelOne)"
            + "&file_name=\(fileName.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" + extra
    }

    static func counts(_ world: World) async throws -> (documents: Int, events: Int) {
        let documents = try await world.api.call(.get, "/api/v1/applications/\(world.application)/evidence", token: world.staff).items.count
        let events = try await world.api.call(.get, "/api/v1/applications/\(world.application)/history", token: world.staff).items.count
        return (documents, events)
    }

    static func storedFiles(_ root: String) -> Int {
        (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { !$0.hasSuffix("/") && $0.split(separator: "/").count >= 2 }
            .filter { path in
                var folder: ObjCBool = false
                return FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &folder) && !folder.boolValue
            }.count
    }

    @Test func refusedUploadsKeepNothing() async throws {
        let root = Mutex<String>("")
        try await Self.withWorld(limit: 50_000, evidence: { path in root.withLock { $0 = path } }) { world in
            let before = try await Self.counts(world)
            let filesBefore = Self.storedFiles(root.withLock { $0 })
            let cases: [(String, ByteBuffer, String, HTTPResponse.Status, String)] = [
                ("empty", ByteBuffer(), "licence.pdf", .unprocessableContent, "empty-file"),
                ("oversize", ByteBuffer(string: "%PDF-1.4\n" + String(repeating: "x", count: 60_000)), "licence.pdf", .contentTooLarge, "too-large"),
                ("renamed executable", ByteBuffer(bytes: [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 4_000)), "licence.pdf",
                 .unsupportedMediaType, "unsupported-file-type"),
                ("Windows executable", ByteBuffer(bytes: Array("MZ".utf8) + [UInt8](repeating: 0x90, count: 2_000)), "licence.pdf",
                 .unsupportedMediaType, "unsupported-file-type"),
            ]
            for (what, bytes, name, status, type) in cases {
                let reply = try await world.api.call(.post, Self.uploadPath(world, fileName: name), token: world.contributor, raw: bytes)
                #expect(reply.status == status, "\(what): \(reply.text)")
                #expect(reply["type"] == Problem.typeBase + type, "\(what): \(reply.text)")
            }
            // Streamed without a length: the limit still holds while reading.
            let chunked = try await world.api.client.execute(
                uri: Self.uploadPath(world), method: .post,
                headers: [.authorization: "Bearer \(world.contributor)", .contentType: "application/octet-stream", .transferEncoding: "chunked"],
                body: ByteBuffer(string: "%PDF-1.4\n" + String(repeating: "y", count: 80_000)))
            #expect(chunked.status == .contentTooLarge)
            // Not the raw bytes, another tenant, an indicator that does not apply, bad metadata.
            #expect(try await world.api.call(.post, Self.uploadPath(world), token: world.contributor, json: ["file": "x"]).status == .unsupportedMediaType)
            #expect(try await world.api.call(.post, Self.uploadPath(world), token: world.otherAdmin, raw: ByteBuffer(string: "%PDF-1.4\n")).status == .notFound)
            let wrongIndicator = try await world.api.call(
                .post, "/api/v1/applications/\(world.application)/evidence?title=T&kind=licence&as_of=2026-09-30&indicators=ZZZ-99",
                token: world.contributor, raw: ByteBuffer(string: "%PDF-1.4\n"))
            #expect(wrongIndicator.status == .unprocessableContent, "\(wrongIndicator.text)")
            for query in ["title=T&kind=licence&as_of=2026-02-30&indicators=\(world.levelOne)", "title=T&kind=nonsense&as_of=2026-09-30&indicators=\(world.levelOne)",
                          "kind=licence&as_of=2026-09-30&indicators=\(world.levelOne)"] {
                let reply = try await world.api.call(.post, "/api/v1/applications/\(world.application)/evidence?\(query)", token: world.contributor,
                                                     raw: ByteBuffer(string: "%PDF-1.4\n"))
                #expect(reply.status == .badRequest, "\(query): \(reply.text)")
            }
            let after = try await Self.counts(world)
            #expect(after.documents == before.documents && after.events == before.events)
            // Refusals the application decides are made before the body is read, so no file is stored for any of them.
            #expect(Self.storedFiles(root.withLock { $0 }) == filesBefore)
        }
    }

    @Test func fileNamesNeverBecomePaths() async throws {
        try await Self.withWorld { world in
            let reply = try await world.api.call(.post, Self.uploadPath(world, fileName: "../../../etc/passwd\u{7}.pdf"), token: world.contributor,
                                                 raw: ByteBuffer(string: "%PDF-1.4\nnot really a password file\n"))
            #expect(reply.status == .created, "\(reply.text)")
            #expect(reply["file_name"] == "passwd.pdf")
            let download = try await world.api.call(.get, "/api/v1/applications/\(world.application)/evidence/\(reply["id"]!)/content", token: world.staff)
            #expect(download.headers[.contentDisposition] == "attachment; filename=\"passwd.pdf\"; filename*=UTF-8''passwd.pdf")
        }
    }

    @Test func idempotencyKeysReplayTheSameRequestAndRefuseAnother() async throws {
        try await Self.withWorld { world in
            let path = Self.uploadPath(world)
            let bytes = ByteBuffer(string: "%PDF-1.4\nfirst upload\n")
            let first = try await world.api.call(.post, path, token: world.contributor, raw: bytes, headers: [HTTPField.Name("Idempotency-Key")!: "upload-1"])
            let again = try await world.api.call(.post, path, token: world.contributor, raw: bytes, headers: [HTTPField.Name("Idempotency-Key")!: "upload-1"])
            #expect(first.status == .created && again.status == .created)
            #expect(first["id"] == again["id"])
            let other = try await world.api.call(.post, path, token: world.contributor, raw: ByteBuffer(string: "%PDF-1.4\nother bytes\n"),
                                                 headers: [HTTPField.Name("Idempotency-Key")!: "upload-1"])
            #expect(other.status == .unprocessableContent)
            #expect(other["type"] == Problem.typeBase + "idempotency-key-reused")
            #expect(try await Self.counts(world).documents == 3)

            // A transition retried with its key is not fired twice; the key with another request is refused.
            let admin = try await world.api.login("admin@mesa.example", .demoPassword)
            let rfi = try await world.api.call(.post, "/api/v1/applications/\(world.application)/rfis", token: world.staff,
                                               json: ["question": "Please send the written directive procedure."])
            #expect(rfi.status == .created, "\(rfi.text)")
            let transition = "/api/v1/applications/\(world.application)/rfis/\(rfi["id"]!)/transitions"
            let answer: [String: Any] = ["action": "answer", "version": 1, "text": "Attached as evidence."]
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "answer-1"]
            let answered = try await world.api.call(.post, transition, token: admin, json: answer, headers: key)
            let replayed = try await world.api.call(.post, transition, token: admin, json: answer, headers: key)
            #expect(answered.status == .ok && replayed.status == .ok)
            #expect(answered.json["version"] as? Int == 2 && replayed.json["version"] as? Int == 2)
            let changed = try await world.api.call(.post, transition, token: admin, json: ["action": "answer", "version": 1, "text": "Different."], headers: key)
            #expect(changed.status == .unprocessableContent)
            // Without the key, the same stale request is a conflict, not a second answer.
            #expect(try await world.api.call(.post, transition, token: admin, json: answer).status == .conflict)
        }
    }

    @Test func malformedJSONUnknownFieldsAndHugeBodies() async throws {
        try await Self.withWorld { world in
            let path = "/api/v1/applications/\(world.application)/rfis"
            let cases: [(String, String)] = [
                ("malformed", "{\"question\": "),
                ("wrong type", "{\"question\": 42}"),
                ("unknown field", "{\"question\": \"Why?\", \"admin\": true}"),
                ("missing field", "{}"),
                ("not an object", "[1, 2]"),
                ("a NUL character", "{\"question\": \"a\\u0000b\"}"),
            ]
            for (what, body) in cases {
                let reply = try await world.api.client.execute(uri: path, method: .post,
                                                               headers: [.authorization: "Bearer \(world.staff)", .contentType: "application/json"],
                                                               body: ByteBuffer(string: body)) { API.Reply(status: $0.status, headers: $0.headers, body: $0.body) }
                #expect(reply.status == .badRequest, "\(what): \(reply.text)")
                #expect(reply.headers[.contentType] == "application/problem+json")
            }
            for query in ["/api/v1/applications?practice_name=a%00b", "/api/v1/practices?q=%00", "/api/v1/applications?pathway=zzz"] {
                let reply = try await world.api.call(.get, query, token: world.staff)
                #expect(reply.status == .badRequest, "\(query): \(reply.text)")
                #expect(reply["detail"]?.contains("not valid JSON") == false, "\(query): \(reply.text)")
            }
            #expect(try await world.api.call(.get, "/api/v1/me", token: world.staff, headers: [HTTPField.Name("Idempotency-Key")!: "%00"]).status == .badRequest)
            // A doubled slash is not another way into the API: it is no route at all, token or not.
            #expect(try await world.api.call(.get, "//api/v1/catalog/releases").status == .notFound)
            #expect(try await world.api.call(.get, "/api//v1/applications", token: world.staff).status == .notFound)
            let nulLogin = try await world.api.call(.post, "/api/v1/auth/login", json: ["email": "a\u{0}@example.org", "password": "whatever it is"])
            #expect(nulLogin.status == .badRequest)
            // A backslash followed by the letters u0000 is ordinary text.
            let literal = try await world.api.call(.post, path, token: world.staff, json: ["question": "What does \\u0000 mean in JSON?"])
            #expect(literal.status == .created, "\(literal.text)")
            let huge = try await world.api.call(.post, path, token: world.staff, json: ["question": String(repeating: "q", count: 2 << 20)])
            #expect(huge.status == .contentTooLarge)
            #expect(try await world.api.call(.get, path, token: world.staff).items.count == 1, "only the literal-backslash question was stored")
            let stale = try await world.api.call(.post, "/api/v1/applications/\(world.application)/transitions", token: world.staff,
                                                 json: ["action": "withdraw"], headers: [.ifMatch: "\"v1\""])
            #expect(stale.status == .preconditionFailed)
        }
    }

    @Test func expiredRevokedAndUnknownTokens() async throws {
        let clock = ManualClock(Date())
        try await Self.withWorld(clock: clock) { world in
            // A long-lived API token works until revoked, and is listed without its secret.
            let created = try await world.api.call(.post, "/api/v1/auth/tokens", token: world.staff, json: ["name": "reporting", "lifetime_days": 30])
            #expect(created.status == .created, "\(created.text)")
            let apiToken = try #require(created["token"])
            #expect(try await world.api.call(.get, "/api/v1/me", token: apiToken).status == .ok)
            let listed = try await world.api.call(.get, "/api/v1/auth/tokens", token: world.staff)
            #expect(listed.items.count == 1 && !listed.text.contains(apiToken))
            let id = try #require((created.json["info"] as? [String: any Sendable])?["id"] as? String)
            #expect(try await world.api.call(.delete, "/api/v1/auth/tokens/\(id)", token: world.contributor).status == .notFound)
            #expect(try await world.api.call(.delete, "/api/v1/auth/tokens/\(id)", token: world.staff).status == .noContent)
            #expect(try await world.api.call(.get, "/api/v1/me", token: apiToken).status == .unauthorized)
            for body in [["name": ""], ["name": "x", "lifetime_days": 0], ["name": "x", "lifetime_days": 731]] as [[String: Any]] {
                let refused = try await world.api.call(.post, "/api/v1/auth/tokens", token: world.staff, json: body)
                #expect([.badRequest, .unprocessableContent].contains(refused.status), "\(body): \(refused.text)")
            }
            // Session tokens expire; unknown tokens are refused alike.
            clock.advance(days: 1)
            #expect(try await world.api.call(.get, "/api/v1/me", token: world.staff).status == .unauthorized)
            #expect(try await world.api.call(.get, "/api/v1/me", token: "not-a-token").status == .unauthorized)
        }
    }

    @Test func invitationsWorkOnceAndExpire() async throws {
        let clock = ManualClock(Date())
        try await Self.withWorld(clock: clock) { world in
            let mesaAdmin = try await world.api.login("admin@mesa.example", .demoPassword)
            let lakeside = try #require(try await world.api.call(.get, "/api/v1/practices?q=lakeside", token: world.staff).items.first?["id"] as? String)
            let mesa = try #require(try await world.api.call(.get, "/api/v1/practices", token: mesaAdmin).items.first?["id"] as? String)
            // Who may invite whom.
            #expect(try await world.api.call(.post, "/api/v1/invitations", token: mesaAdmin, json: [
                "email": "x@lakeside.example", "display_name": "X", "role": "practice-contributor", "practice_id": lakeside]).status == .notFound)
            #expect(try await world.api.call(.post, "/api/v1/invitations", token: mesaAdmin, json: [
                "email": "s@surveyors.example", "display_name": "S", "role": "surveyor", "discipline": "medical-physicist"]).status == .forbidden)
            #expect(try await world.api.call(.post, "/api/v1/invitations", token: world.contributor, json: [
                "email": "c@mesa.example", "display_name": "C", "role": "practice-contributor", "practice_id": mesa]).status == .forbidden)
            #expect(try await world.api.call(.post, "/api/v1/invitations", token: world.staff, json: [
                "email": "rso@mesa.example", "display_name": "Taken", "role": "surveyor", "discipline": "medical-physicist"]).status == .unprocessableContent)
            #expect(try await world.api.call(.post, "/api/v1/invitations", token: world.staff, json: [
                "email": "no-discipline@surveyors.example", "display_name": "N", "role": "surveyor"]).status == .unprocessableContent)

            let invitation = try await world.api.call(.post, "/api/v1/invitations", token: mesaAdmin, json: [
                "email": "New.Person@Mesa.example", "display_name": "New Person", "role": "practice-contributor", "practice_id": mesa])
            #expect(invitation.status == .created, "\(invitation.text)")
            let token = try #require(invitation["token"])
            #expect(try await world.api.call(.post, "/api/v1/invitations/accept", json: ["token": token, "password": "short"]).status == .unprocessableContent)
            let accepted = try await world.api.call(.post, "/api/v1/invitations/accept", json: ["token": token, "password": "a perfectly fine password"])
            #expect(accepted.status == .created)
            #expect(try await world.api.call(.post, "/api/v1/invitations/accept", json: ["token": token, "password": "a perfectly fine password"]).status == .notFound)
            #expect(try await world.api.login("new.person@mesa.example", "a perfectly fine password").isEmpty == false)

            let late = try await world.api.call(.post, "/api/v1/invitations", token: world.staff, json: [
                "email": "late@surveyors.example", "display_name": "Late", "role": "surveyor", "discipline": "radiation-oncologist"])
            clock.advance(days: 4)
            #expect(try await world.api.call(.post, "/api/v1/invitations/accept", json: ["token": late["token"]!, "password": "a perfectly fine password"]).status == .notFound)
        }
    }
}
