import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Persistence
@testable import Server
import TestSupport
import Testing

/// The portal over real HTTP and PostgreSQL: sessions in cookies, same-origin and token checks on
/// every form, HTML error pages, escaping, and forms that keep what a person typed when refused.
/// (The browser tests in Tests/browser drive the same pages in Chromium.)
@Suite struct WebPortalTests {
    static let origin = "http://apex.test"
    typealias Seeded = ApplicationsAPITests.Seeded

    static func run(publicOrigin: String = origin, seed seeded: Seeded = Seeded(),
                    _ body: @escaping @Sendable (any TestClientProtocol, Seeded) async throws -> Void) async throws {
        try await TestApp.run(publish: [TestApp.rptRelease], configure: { $0.publicOrigin = publicOrigin },
                              seed: ApplicationsAPITests.seed(seeded)) { client in
            try await body(client, seeded)
        }
    }

    /// Signs in through the form; returns the session cookie's value.
    static func signIn(_ client: any TestClientProtocol, _ email: String, password: String = ApplicationsAPITests.password) async throws -> String {
        let response = try await post(client, "/sign-in", ["email": email, "password": password], cookie: nil)
        #expect(response.status == .seeOther, "\(String(buffer: response.body))")
        let cookie = try #require(response.headers[.setCookie])
        let value = cookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
        return String(value[1])
    }

    static func post(_ client: any TestClientProtocol, _ path: String, _ fields: [String: String], cookie: String?,
                     origin: String? = WebPortalTests.origin, csrf: Bool = true, contentType: String = "application/x-www-form-urlencoded") async throws -> TestResponse {
        var fields = fields
        if csrf, let cookie { fields["csrf"] = CSRFToken.of(session: cookie) }
        var headers: HTTPFields = [.contentType: contentType]
        if let origin { headers[.origin] = origin }
        if let cookie { headers[.cookie] = "apex_session=\(cookie)" }
        let body = fields.sorted { $0.key < $1.key }.map { "\(escape($0.key))=\(escape($0.value))" }.joined(separator: "&")
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    static func get(_ client: any TestClientProtocol, _ path: String, cookie: String?) async throws -> TestResponse {
        var headers: HTTPFields = [.accept: "text/html"]
        if let cookie { headers[.cookie] = "apex_session=\(cookie)" }
        return try await client.execute(uri: path, method: .get, headers: headers)
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    /// Moves the seeded draft into self-assessment through the API (practice submits, staff accept intake).
    static func toSelfAssessment(_ client: any TestClientProtocol, _ id: UUID) async throws {
        let admin = try await ApplicationsAPITests.token(client, "admin@alpha.org")
        let staff = try await ApplicationsAPITests.token(client, "staff@astro.example")
        for (token, action, version) in [(admin, "submit", 1), (staff, "begin-intake", 2), (staff, "accept-intake", 3)] {
            let response = try await ApplicationsAPITests.fire(client, id, as: token, body: #"{"action":"\#(action)","version":\#(version)}"#)
            #expect(response.status == .ok, "\(action): \(String(buffer: response.body))")
        }
    }

    @Test func signInSetsAnHttpOnlyLaxCookieAndPagesCarrySecurityHeaders() async throws {
        try await Self.run { client, _ in
            let response = try await Self.post(client, "/sign-in", ["email": "admin@alpha.org", "password": ApplicationsAPITests.password], cookie: nil)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/")
            let cookie = try #require(response.headers[.setCookie])
            #expect(cookie.hasPrefix("apex_session="))
            for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] { #expect(cookie.contains(flag), "\(cookie)") }
            #expect(!cookie.contains("Secure"), "plain http: a Secure cookie would never come back")
            #expect(!cookie.lowercased().contains("domain="))

            let token = String(cookie.split(separator: ";")[0].dropFirst("apex_session=".count))
            let home = try await Self.get(client, "/", cookie: token)
            #expect(home.status == .ok)
            #expect(home.headers[.contentType] == "text/html; charset=utf-8")
            let policy = try #require(home.headers[.contentSecurityPolicy])
            #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'") && !policy.contains("unsafe-inline"))
            #expect(home.headers[.xContentTypeOptions] == "nosniff")
            #expect(String(buffer: home.body).contains("Alpha Oncology"))
        }
    }

    @Test func overHTTPSTheCookieIsHostPrefixedAndSecure() async throws {
        try await Self.run(publicOrigin: "https://apex.example.org") { client, _ in
            let response = try await Self.post(client, "/sign-in", ["email": "admin@alpha.org", "password": ApplicationsAPITests.password],
                                               cookie: nil, origin: "https://apex.example.org")
            let cookie = try #require(response.headers[.setCookie])
            #expect(cookie.hasPrefix("__Host-apex_session="))
            #expect(cookie.contains("; Secure"))
        }
    }

    @Test func wrongPasswordKeepsTheEmailAndSaysWhatToDo() async throws {
        try await Self.run { client, _ in
            let response = try await Self.post(client, "/sign-in", ["email": "admin@alpha.org", "password": "wrong password here"], cookie: nil)
            #expect(response.status == .unauthorized)
            let html = String(buffer: response.body)
            #expect(html.contains("The email or password is not right"))
            #expect(html.contains(#"value="admin@alpha.org""#))
            #expect(response.headers[.setCookie] == nil)
        }
    }

    @Test func crossSiteAndTokenlessFormsAreRefusedAndChangeNothing() async throws {
        try await Self.run { client, seeded in
            try await Self.toSelfAssessment(client, seeded.id)
            let cookie = try await Self.signIn(client, "admin@alpha.org")
            let path = "/applications/\(seeded.id.uuidString.lowercased())/indicators/GOV-01/response"
            for (origin, csrf) in [("http://evil.example", true), (nil, true), (Self.origin, false)] as [(String?, Bool)] {
                let response = try await Self.post(client, path, ["answer": "forged", "version": ""], cookie: cookie, origin: origin, csrf: csrf)
                #expect(response.status == .forbidden, "origin \(origin ?? "none"), csrf \(csrf)")
                #expect(String(buffer: response.body).contains("did not come from this site"))
            }
            // Sec-Fetch-Site wins over a matching Origin: a cross-site request is refused.
            let crossSite = try await client.execute(
                uri: path, method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .origin: Self.origin, .cookie: "apex_session=\(cookie)",
                          HTTPField.Name("Sec-Fetch-Site")!: "cross-site"],
                body: ByteBuffer(string: "answer=forged&csrf=\(CSRFToken.of(session: cookie))"))
            #expect(crossSite.status == .forbidden)
            let admin = try await ApplicationsAPITests.token(client, "admin@alpha.org")
            let responses = try await ApplicationsAPITests.get(client, "/api/v1/applications/\(seeded.id)/responses", as: admin)
            #expect((responses.json["items"] as? [Any])?.isEmpty == true, "nothing was stored")

            let allowed = try await Self.post(client, path, ["answer": "Our licence covers every agent.", "version": ""], cookie: cookie)
            #expect(allowed.status == .seeOther)
            #expect(allowed.headers[.location]?.hasSuffix("?done=answered#indicator-GOV-01") == true)
        }
    }

    @Test func afterSignOutTheOldCookieOpensNothing() async throws {
        try await Self.run { client, _ in
            let cookie = try await Self.signIn(client, "admin@alpha.org")
            let out = try await Self.post(client, "/sign-out", [:], cookie: cookie)
            #expect(out.status == .seeOther)
            #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)
            let home = try await Self.get(client, "/", cookie: cookie)
            #expect(home.status == .seeOther)
            #expect(home.headers[.location] == "/sign-in?expired=1")
            #expect(home.headers[.setCookie]?.contains("Max-Age=0") == true, "the dead cookie is cleared")
            #expect(String(buffer: try await Self.get(client, "/sign-in?expired=1", cookie: nil).body).contains("Your session has ended"))
            let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: "apex_session=\(cookie)"])
            #expect(me.status == .unauthorized)
        }
    }

    @Test func anotherPracticesApplicationIsTheSameNotFoundPageAsNone() async throws {
        try await Self.run { client, seeded in
            let cookie = try await Self.signIn(client, "admin@beta.org")
            for path in ["/applications/\(seeded.id.uuidString.lowercased())", "/applications/\(UUID().uuidString.lowercased())",
                         "/applications/not-an-id", "/no/such/page"] {
                let response = try await Self.get(client, path, cookie: cookie)
                #expect(response.status == .notFound, "\(path)")
                #expect(response.headers[.contentType] == "text/html; charset=utf-8", "\(path)")
                #expect(String(buffer: response.body).contains("Page not found"), "\(path)")
            }
            // The same form post to another tenant's application is the same 404, and stores nothing.
            let post = try await Self.post(client, "/applications/\(seeded.id.uuidString.lowercased())/indicators/GOV-01/response",
                                           ["answer": "x", "version": ""], cookie: cookie)
            #expect(post.status == .notFound)
            // API clients keep problem documents.
            let api = try await client.execute(uri: "/no/such/page", method: .get, headers: [.accept: "application/json"])
            #expect(api.headers[.contentType]?.hasPrefix("application/problem+json") == true)
        }
    }

    @Test func refusedAnswersKeepWhatWasTyped() async throws {
        try await Self.run { client, seeded in
            try await Self.toSelfAssessment(client, seeded.id)
            let cookie = try await Self.signIn(client, "admin@alpha.org")
            let path = "/applications/\(seeded.id.uuidString.lowercased())/indicators/GOV-01/response"
            let long = String(repeating: "é", count: BoundedText.Limit.longText + 1)
            let tooLong = try await Self.post(client, path, ["answer": long, "version": ""], cookie: cookie)
            #expect(tooLong.status == .unprocessableContent)
            let html = String(buffer: tooLong.body)
            #expect(html.contains("answer has at most 20000 characters."))
            #expect(html.contains(long), "the typed text is shown again")
            #expect(html.contains(#"aria-describedby="answer-GOV-01-error""#))

            let blank = try await Self.post(client, path, ["answer": "   ", "version": ""], cookie: cookie)
            #expect(blank.status == .unprocessableContent)
            #expect(String(buffer: blank.body).contains("answer must not be empty."))

            // Someone else answers meanwhile: the stale form shows their answer and keeps ours.
            #expect(try await Self.post(client, path, ["answer": "First answer", "version": ""], cookie: cookie).status == .seeOther)
            #expect(try await Self.post(client, path, ["answer": "Second answer", "version": "1"], cookie: cookie).status == .seeOther)
            let stale = try await Self.post(client, path, ["answer": "My late answer", "version": "1"], cookie: cookie)
            #expect(stale.status == .unprocessableContent)
            let staleHTML = String(buffer: stale.body)
            #expect(staleHTML.contains("Someone else changed this answer"))
            #expect(staleHTML.contains("Second answer") && staleHTML.contains("My late answer"))

            // An indicator code that is not one is not a page.
            #expect(try await Self.post(client, "/applications/\(seeded.id.uuidString.lowercased())/indicators/nope/response",
                                        ["answer": "x"], cookie: cookie).status == .notFound)
            // A form in another encoding is refused with a page, not read.
            let json = try await Self.post(client, path, ["answer": "x"], cookie: cookie, contentType: "application/json")
            #expect(json.status == .unsupportedMediaType)
        }
    }

    @Test func refusedScopeKeepsTheFormAndNamesTheField() async throws {
        try await Self.run { client, _ in
            let cookie = try await Self.signIn(client, "admin@alpha.org")
            for (fields, message) in [
                (["site_count": "0", "licensed_use_types": "1", "jurisdiction": "US-NRC"], "site_count is 1 to 1000."),
                (["site_count": "two", "licensed_use_types": "1", "jurisdiction": "US-NRC"], "site_count is a whole number."),
                (["site_count": "1", "licensed_use_types": "21", "jurisdiction": "US-NRC"], "licensed_use_types is 1 to 20."),
                (["site_count": "1", "licensed_use_types": "1", "jurisdiction": "Texas"], "jurisdiction US-NRC or US-XX"),
                (["site_count": "1", "licensed_use_types": "1", "jurisdiction": "US-NRC", "agents[]": "lu-999"], "Unknown agent &#39;lu-999&#39;."),
            ] {
                let response = try await Self.post(client, "/practice/scope", fields, cookie: cookie)
                #expect(response.status == .unprocessableContent, "\(fields)")
                let html = String(buffer: response.body)
                #expect(html.contains(message), "\(fields)")
                if let typed = fields["site_count"] { #expect(html.contains(#"id="site_count" name="site_count" type="number" min="1" max="1000" required value="\#(typed)""#)) }
                #expect(html.contains(#"class="field-error" id=""#), "the message sits beside its field")
            }
            let saved = try await Self.post(client, "/practice/scope", ["site_count": "2", "licensed_use_types": "3", "jurisdiction": "us-tx",
                                                                         "agents[]": "lu177-psma", "inpatient_therapy": "yes"], cookie: cookie)
            #expect(saved.status == .seeOther)
            let page = String(buffer: try await Self.get(client, "/practice", cookie: cookie).body)
            #expect(page.contains(#"value="US-TX""#) && page.contains(#"value="lu177-psma" checked"#))
            #expect(saved.headers[.location] == "/practice?saved=1")
        }
    }

    @Test func markupTypedByPeopleIsShownAsText() async throws {
        let evil = #"Evil "><script>alert(1)</script> Clinic"#
        try await TestApp.run(publish: [TestApp.rptRelease], configure: { $0.publicOrigin = Self.origin }, seed: { settings in
            try await Database.withClient(settings, logger: TestCluster.logger) { client in
                let store = WorkflowStore(client: client, logger: TestCluster.logger)
                var accountSettings = AccountSettings()
                accountSettings.bcryptCost = 4
                let practice = try await store.createPractice(
                    PracticeRecord(legalName: evil, address: "", licenceNumber: "L", regulator: "US-NRC", scope: PracticeScope(agents: [.ra223])),
                    facilities: [FacilityRecord(name: evil, address: "", isMain: true, distanceMiles: 0)])
                let admin = try await store.createPerson(email: "admin@evil.example", name: evil, role: .practiceAdmin, practiceID: practice)
                try await AccountStore(client: client, logger: TestCluster.logger, settings: accountSettings)
                    .setPassword(person: admin, password: ApplicationsAPITests.password)
                _ = try await store.createApplication(practiceID: practice, releaseID: TestApp.rptRelease.releaseID, pathway: .rptPaired,
                                                      termYears: 3, actor: WorkflowActor(id: admin, role: .practiceAdmin))
            }
        }) { client in
            let cookie = try await Self.signIn(client, "admin@evil.example")
            let home = String(buffer: try await Self.get(client, "/", cookie: cookie).body)
            let path = try #require(home.firstMatch(of: /href="(\/applications\/[0-9a-f-]{36})"/)).1
            for page in ["/", String(path), "/practice", "/practice/people"] {
                let html = String(buffer: try await Self.get(client, page, cookie: cookie).body)
                #expect(!html.contains("<script>alert"), "\(page)")
                #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(page)")
            }
        }
    }

    @Test func theAPIAcceptsTheCookieOnlyWithTheSynchronizerTokenForChanges() async throws {
        try await Self.run { client, seeded in
            try await Self.toSelfAssessment(client, seeded.id)
            let cookie = try await Self.signIn(client, "admin@alpha.org")
            let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: "apex_session=\(cookie)"])
            #expect(me.status == .ok)
            let upload = "/api/v1/applications/\(seeded.id)/evidence?title=Policy&kind=policy&as_of=2026-01-01&indicators=GOV-01&file_name=p.txt"
            let pdf = ByteBuffer(string: "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
            let forged = try await client.execute(uri: upload, method: .post, headers: [
                .cookie: "apex_session=\(cookie)", .contentType: "application/octet-stream", .origin: Self.origin], body: pdf)
            #expect(forged.status == .forbidden)
            #expect(forged.json["type"] as? String == Problem.typeBase + "cross-site-request")
            let allowed = try await client.execute(uri: upload, method: .post, headers: [
                .cookie: "apex_session=\(cookie)", .contentType: "application/octet-stream", .origin: Self.origin,
                HTTPField.Name("X-CSRF-Token")!: CSRFToken.of(session: cookie)], body: pdf)
            #expect(allowed.status == .created, "\(String(buffer: allowed.body))")
        }
    }

    @Test func theWorkspaceShowsOnlyWhatTheTablesAllowAndWhyAnActionIsBlocked() async throws {
        try await Self.run { client, seeded in
            let id = seeded.id.uuidString.lowercased()
            let admin = try await Self.signIn(client, "admin@alpha.org")
            let draft = String(buffer: try await Self.get(client, "/applications/\(id)", cookie: admin).body)
            #expect(draft.contains("/applications/\(id)/actions/submit"))
            #expect(!draft.contains("Save the answer"), "no answers in a draft")
            #expect(!draft.contains("upload-form"))

            try await Self.toSelfAssessment(client, seeded.id)
            let open = String(buffer: try await Self.get(client, "/applications/\(id)", cookie: admin).body)
            #expect(open.contains("Save the answer") && open.contains("upload-form"))
            #expect(open.contains("/actions/submit-self-assessment"))
            #expect(open.contains("Not yet: No self-assessment response for"), "the guard's reason in words")
            #expect(open.contains(##"href="#indicator-GOV-01""##), "the indicators concerned are linked")

            // Submitting anyway is refused with the reason, on the page.
            let version = try #require(open.firstMatch(of: /name="version" value="(\d+)"/)).1
            let refused = try await Self.post(client, "/applications/\(id)/actions/submit-self-assessment", ["version": String(version)], cookie: admin)
            #expect(refused.status == .unprocessableContent)
            #expect(String(buffer: refused.body).contains("Submit the self-assessment was refused: No self-assessment response for"))
            // Staff see no practice buttons.
            let staff = try await Self.signIn(client, "staff@astro.example")
            let staffPage = String(buffer: try await Self.get(client, "/applications/\(id)", cookie: staff).body)
            #expect(!staffPage.contains("Save the answer") && !staffPage.contains("/actions/submit-self-assessment"))
            #expect(staffPage.contains("/actions/withdraw"))
        }
    }

    static func multipart(_ fields: [(String, String)], file: (name: String, bytes: String)?, boundary: String = "apexBoundary7") -> String {
        var body = ""
        for (name, value) in fields {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        if let file {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.name)\"\r\nContent-Type: application/pdf\r\n\r\n\(file.bytes)\r\n"
        }
        return body + "--\(boundary)--\r\n"
    }

    @Test func theUploadFormWorksWithoutJavaScript() async throws {
        try await Self.run { client, seeded in
            try await Self.toSelfAssessment(client, seeded.id)
            let cookie = try await Self.signIn(client, "admin@alpha.org")
            let path = "/applications/\(seeded.id.uuidString.lowercased())/evidence"
            let pdf = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
            func send(_ fields: [(String, String)], file: (name: String, bytes: String)?, origin: String = Self.origin) async throws -> TestResponse {
                try await client.execute(uri: path, method: .post, headers: [
                    .contentType: "multipart/form-data; boundary=apexBoundary7", .origin: origin, .cookie: "apex_session=\(cookie)"],
                    body: ByteBuffer(string: Self.multipart(fields, file: file)))
            }
            let good: [(String, String)] = [("csrf", CSRFToken.of(session: cookie)), ("title", "RPT policy"), ("kind", "policy"),
                                            ("as_of", "2026-10-01"), ("indicators", "GOV-01"), ("indicators", "GOV-02")]
            let uploaded = try await send(good, file: ("policy.pdf", pdf))
            #expect(uploaded.status == .seeOther, "\(String(buffer: uploaded.body).prefix(2000))")
            let admin = try await ApplicationsAPITests.token(client, "admin@alpha.org")
            let listed = try await ApplicationsAPITests.get(client, "/api/v1/applications/\(seeded.id)/evidence", as: admin)
            let items = try #require(listed.json["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect(items.first?["indicators"] as? [String] == ["GOV-01", "GOV-02"])
            #expect(items.first?["file_name"] as? String == "policy.pdf")

            // Refusals keep the page, say why, and store nothing.
            for (fields, file, message) in [
                (good.filter { $0.0 != "title" }, ("p.pdf", pdf), "title must not be empty."),
                (good.filter { $0.0 != "indicators" }, ("p.pdf", pdf), "Choose at least one indicator"),
                (good, nil, "Choose a file to upload."),
                (good, ("p.exe", "MZ\u{90}\u{0}binary"), "The document was not uploaded"),
            ] as [([(String, String)], (name: String, bytes: String)?, String)] {
                let response = try await send(fields, file: file)
                #expect(response.status == .unprocessableContent, "\(message)")
                #expect(String(buffer: response.body).contains(message), "\(message)")
            }
            // A body that is not a well-formed multipart form is refused with the page, never a 500.
            let garbled = try await client.execute(uri: path, method: .post, headers: [
                .contentType: "multipart/form-data; boundary=apexBoundary7", .origin: Self.origin, .cookie: "apex_session=\(cookie)"],
                body: ByteBuffer(string: "--apexBoundary7\r\nno header separator here\r\n\r\n"))
            #expect(garbled.status == .unprocessableContent)
            #expect(String(buffer: garbled.body).contains("The form could not be read"))
            #expect(try await send(good.filter { $0.0 != "csrf" }, file: ("p.pdf", pdf)).status == .forbidden)
            #expect(try await send(good, file: ("p.pdf", pdf), origin: "http://evil.example").status == .forbidden)
            let after = try await ApplicationsAPITests.get(client, "/api/v1/applications/\(seeded.id)/evidence", as: admin)
            #expect((after.json["items"] as? [Any])?.count == 1, "nothing more was stored")
        }
    }

    /// Waits until the change listener hears its own heartbeat, so the read cache (and the pages kept
    /// beside it) is in use.
    static func untilHearing(_ client: any TestClientProtocol) async throws {
        for _ in 0..<100 {
            let ready = try await client.execute(uri: "/health/ready", method: .get)
            if String(buffer: ready.body).contains("hearing") { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the change listener never heard its heartbeat")
    }

    @Test func keptPagesAreFreshPersonalAndStillAskTheAccessPolicy() async throws {
        try await Self.run { client, seeded in
            try await Self.toSelfAssessment(client, seeded.id)
            try await Self.untilHearing(client)
            let id = seeded.id.uuidString.lowercased()
            let admin = try await Self.signIn(client, "admin@alpha.org")
            let first = String(buffer: try await Self.get(client, "/applications/\(id)", cookie: admin).body)
            let second = String(buffer: try await Self.get(client, "/applications/\(id)", cookie: admin).body)
            #expect(first == second)
            #expect(second.contains(#"name="csrf" value="\#(CSRFToken.of(session: admin))""#))
            #expect(!second.contains("apex-placeholder"))

            // Another session of the same person gets its own form token.
            let again = try await Self.signIn(client, "admin@alpha.org")
            let third = String(buffer: try await Self.get(client, "/applications/\(id)", cookie: again).body)
            #expect(third.contains(CSRFToken.of(session: again)) && !third.contains(CSRFToken.of(session: admin)))

            // A change made through the page is seen at once.
            let saved = try await Self.post(client, "/applications/\(id)/indicators/GOV-01/response", ["answer": "Kept pages are fresh.", "version": ""],
                                            cookie: admin)
            #expect(saved.status == .seeOther)
            #expect(String(buffer: try await Self.get(client, "/applications/\(id)", cookie: admin).body).contains("Kept pages are fresh."))
            // And one made through the API (another client, possibly another replica).
            let token = try await ApplicationsAPITests.token(client, "admin@alpha.org")
            let put = try await client.execute(uri: "/api/v1/applications/\(id)/responses/GOV-02", method: .put,
                                               headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                               body: ByteBuffer(string: #"{"answer":"Changed through the API."}"#))
            #expect(put.status == .ok)
            #expect(String(buffer: try await Self.get(client, "/applications/\(id)", cookie: admin).body).contains("Changed through the API."))

            // Another practice's admin (the same role) is still not found, with the page kept.
            let other = try await Self.signIn(client, "admin@beta.org")
            #expect(try await Self.get(client, "/applications/\(id)", cookie: other).status == .notFound)
        }
    }

    @Test func facilitiesAndANewApplicationWithItsTerm() async throws {
        try await Self.run { client, _ in
            let admin = try await Self.signIn(client, "admin@alpha.org")
            for (fields, message) in [
                (["name": "", "address": "", "distance_miles": "3"], "name must not be empty."),
                (["name": "North", "address": "", "distance_miles": "far"], "distance_miles is a number of miles"),
                (["name": "North", "address": "", "distance_miles": "1e9"], "distance_miles is a number of miles"),
                (["name": "North", "address": "", "distance_miles": "10001"], "distance_miles is 0 to 10000."),
            ] {
                let refused = try await Self.post(client, "/practice/facilities", fields, cookie: admin)
                #expect(refused.status == .unprocessableContent, "\(fields)")
                let html = String(buffer: refused.body)
                #expect(html.contains(message), "\(fields)")
                #expect(html.contains(#"value="\#(fields["distance_miles"]!)""#), "what was typed is kept")
            }
            let added = try await Self.post(client, "/practice/facilities", ["name": "North Clinic", "address": "2 Hill Rd", "distance_miles": "12.5"],
                                            cookie: admin)
            #expect(added.status == .seeOther)
            #expect(String(buffer: try await Self.get(client, "/practice", cookie: admin).body).contains("Satellite, 13 miles away"))
            // A new application with the term chosen; a missing term is asked for.
            let form = String(buffer: try await Self.get(client, "/applications/new", cookie: admin).body)
            #expect(form.contains(#"name="term_years" value="4" checked"#))
            let noTerm = try await Self.post(client, "/applications/new", ["pathway": "rpt-standalone", "release": TestApp.rptRelease.releaseID], cookie: admin)
            #expect(noTerm.status == .unprocessableContent)
            #expect(String(buffer: noTerm.body).contains("Choose the term: 3 or 4 years."))
            let badTerm = try await Self.post(client, "/applications/new", ["pathway": "rpt-standalone", "release": TestApp.rptRelease.releaseID,
                                                                            "term_years": "5"], cookie: admin)
            #expect(String(buffer: badTerm.body).contains("The accreditation term is 3 or 4 years."))
            let started = try await Self.post(client, "/applications/new", ["pathway": "rpt-standalone", "release": TestApp.rptRelease.releaseID,
                                                                            "term_years": "3"], cookie: admin)
            #expect(started.status == .seeOther)
            let token = try await ApplicationsAPITests.token(client, "admin@alpha.org")
            let listed = try await ApplicationsAPITests.get(client, "/api/v1/applications?pathway=rpt-standalone", as: token)
            #expect((listed.json["items"] as? [[String: Any]])?.first?["term_years"] as? Int == 3)
        }
    }
}
