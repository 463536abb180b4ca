import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Persistence
import PostgresNIO
@testable import Server
import TestSupport
import Synchronization
import Testing
import Yams

/// Every value that arrives from outside is decoded into a checked, in-range value at the boundary: a
/// forged cursor, a date in a surprising spelling or a number out of range is a 400 naming its field,
/// never a trap that stops the process and never PostgreSQL's own parser answering with a 500.
@Suite struct BoundaryTests {
    /// The query parameters of every GET operation in the OpenAPI document, by path: name and schema type/format.
    struct Parameter { let name: String; let type: String; let format: String? }

    static func getOperations() throws -> [(path: String, parameters: [Parameter])] {
        let text = try String(contentsOfFile: TestApp.standards + "/../Sources/APIDefinition/openapi.yaml", encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        let shared = ((document["components"] as? [String: Any])?["parameters"] as? [String: Any]) ?? [:]
        let paths = try #require(document["paths"] as? [String: Any])
        var result: [(String, [Parameter])] = []
        for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
            guard let get = (item as? [String: Any])?["get"] as? [String: Any] else { continue }
            var parameters: [Parameter] = []
            for raw in get["parameters"] as? [Any] ?? [] {
                var parameter = raw as? [String: Any] ?? [:]
                if let ref = parameter["$ref"] as? String { parameter = shared[String(ref.split(separator: "/").last!)] as? [String: Any] ?? [:] }
                guard parameter["in"] as? String == "query", let name = parameter["name"] as? String,
                      let schema = parameter["schema"] as? [String: Any] else { continue }
                parameters.append(Parameter(name: name, type: schema["type"] as? String ?? "string", format: schema["format"] as? String))
            }
            result.append((path, parameters))
        }
        return result
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Forged cursors: the crash of the issue (Int64.min microseconds), its neighbours, NUL and control
    /// characters, invalid UTF-8, signs and notations `Int64(_:)` or PostgreSQL would read differently.
    static let forgedCursors: [String] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let texts = ["-9223372036854775808|\(id)", "9223372036854775807|\(id)", "-62135596800000001|\(id)", "253402300800000000|\(id)",
                     "+5|\(id)", "1e300|\(id)", "0x10|\(id)", " 5|\(id)", "5 |\(id)", "--5|\(id)", "a\u{0}b|\(id)", "\u{0}|\(id)", "x\u{1b}[2J|\(id)",
                     "\u{7f}|\(id)", "|", "", "5|not-a-uuid", "5|\(id)|extra\u{0}"]
        var cursors = texts.map { base64URL(Array($0.utf8)) }
        cursors += [base64URL([0xff, 0xfe, 0x7c] + Array(id.utf8)), "%%%", "not base64!", String(repeating: "A", count: 2049),
                    base64URL(Array(String(repeating: "x", count: 1600).utf8) + Array("|\(id)".utf8))]
        return cursors
    }()

    /// Cursors no list accepts, whatever it is ordered by.
    static let malformedCursors: Set<String> = {
        let id = "00000000-0000-0000-0000-000000000000"
        var set = Set(["a\u{0}b|\(id)", "\u{0}|\(id)", "x\u{1b}[2J|\(id)", "\u{7f}|\(id)", "5|\(id)|extra\u{0}"]
            .map { base64URL(Array($0.utf8)) })
        set.formUnion([base64URL([0xff, 0xfe, 0x7c] + Array(id.utf8)), "%%%", "not base64!", String(repeating: "A", count: 2049)])
        return set
    }()

    /// Cursors a list ordered by a name and an id refuses (no id after the bar), though a release id could be such text.
    static let malformedNamedCursors = Set(["|", "", "5|not-a-uuid"].map { base64URL(Array($0.utf8)) })

    static let forgedDates = ["2026-+1-01", "+2026-01-01", "2026-1-01", "2026-02-30", "2026-13-01", "0000-01-01", "10000-01-01",
                              "٢٠٢٦-٠١-٠١", "2026-01-01T00:00:00Z", "-2026-01-01", "2026-01-01%00", "20260101", "5874898-01-01", "2026-01-0\u{FF11}"]
    static let forgedNumbers = ["abc", "1e2", "+5", "-1", "0", "99999999999999999999", "9223372036854775808", "1.5", "0x10", "%00", "NaN", "٥"]

    @Test func theOneRequestCrashIsA400AndTheServiceLivesOn() async throws {
        try await TestApp.run(signedIn: true) { client in
            let api = API(client: client)
            let crash = Self.base64URL(Array("-9223372036854775808|00000000-0000-0000-0000-000000000000".utf8))
            let reply = try await api.call(.get, "/api/v1/applications?cursor=\(crash)")
            #expect(reply.status == .badRequest, "\(reply.text)")
            #expect(reply["field"] == "cursor")
            #expect(try await api.call(.get, "/health/live").status == .ok)
            // The other two examples of the issue.
            let nul = Self.base64URL(Array("a\u{0}b|00000000-0000-0000-0000-000000000000".utf8))
            let practices = try await api.call(.get, "/api/v1/practices?cursor=\(nul)")
            #expect(practices.status == .badRequest && practices["field"] == "cursor", "\(practices.text)")
            let signed = try await api.call(.get, "/api/v1/applications?term_end_before=2026-%2B1-01")
            #expect(signed.status == .badRequest && signed["field"] == "term_end_before", "\(signed.text)")
        }
    }

    /// Every GET operation's cursor, date and number parameters, with every forged value: never a 5xx,
    /// and on operations without path parameters exactly a 400 that names the parameter.
    @Test func everyListCursorDateAndNumberParameterIsCheckedAtTheBoundary() async throws {
        let operations = try Self.getOperations()
        #expect(operations.contains { $0.parameters.contains { $0.name == "cursor" } })
        try await TestApp.run(publish: [TestApp.rptRelease], demo: true) { client in
            let api = API(client: client)
            let token = try await api.login("staff@apex.example", .demoPassword)
            var checked = 0
            for (path, parameters) in operations {
                let concrete = path.replacing(/\{[A-Za-z]+\}/) { _ in UUID().uuidString.lowercased() }
                let hasPathParameters = concrete != path
                for parameter in parameters {
                    let values: [String]
                    if parameter.name == "cursor" {
                        values = Self.forgedCursors
                    } else if parameter.format == "date" {
                        values = Self.forgedDates
                    } else if parameter.type == "integer" {
                        values = Self.forgedNumbers
                    } else {
                        continue
                    }
                    for value in values {
                        let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-_.~%")))!
                        let reply = try await api.call(.get, "/api/v1\(concrete)?\(parameter.name)=\(encoded)", token: token)
                        checked += 1
                        #expect(reply.status.code < 500, "\(path) \(parameter.name)=\(value): \(reply.status) \(reply.text)")
                        // A name-ordered list's cursor may hold any text as its name: there only malformed cursors are 400.
                        let alwaysInvalid = parameter.name != "cursor" || Self.malformedCursors.contains(value) || path == "/applications"
                            || (["/people", "/practices"].contains(path) && Self.malformedNamedCursors.contains(value))
                        if !hasPathParameters, alwaysInvalid {
                            #expect(reply.status == .badRequest, "\(path) \(parameter.name)=\(value): \(reply.status) \(reply.text)")
                            if !value.contains("%00") {
                                #expect(reply["field"] == parameter.name, "\(path) \(parameter.name)=\(value): \(reply.text)")
                            }
                        }
                    }
                }
            }
            #expect(checked > 100)
            #expect(try await api.call(.get, "/health/live").status == .ok)
        }
    }

    /// The net under the boundary: a value PostgreSQL refuses (SQLSTATE class 22) is the client's 400;
    /// other database errors are not.
    @Test func databaseDataErrorsAreBadRequests() async throws {
        try await TestDatabase.withClient { client, _ in
            for (sql, isData) in [("SELECT '2026-+1-01'::date", true), ("SELECT 2147483647::int + 1", true),
                                  ("SELECT E'\\xff'::bytea::text::int", true), ("SELECT * FROM no_such_table", false)] {
                do {
                    _ = try await client.query(PostgresQuery(unsafeSQL: sql), logger: TestCluster.logger).collect()
                    Issue.record("\(sql) should fail")
                } catch {
                    let problem = Problem(databaseDataError: error)
                    #expect((problem?.status == .badRequest) == isData, "\(sql): \(String(reflecting: error))")
                }
            }
        }
        #expect(Problem(databaseDataError: CancellationError()) == nil)
    }
}

/// A failing request logs its cause and request id, and never a credential: not the bearer token, not a
/// password from a sign-in, a password change or an invitation acceptance.
@Suite struct SecretsInTheLogTests {
    @Test func aFailingRequestLogsItsCauseButNoSecret() async throws {
        let log = CapturedLog()
        let name = Mutex("")
        try await TestApp.run(publish: [TestApp.rptRelease], seed: { settings in name.withLock { $0 = settings.database } }, demo: true,
                              logger: log.logger) { client in
            let api = API(client: client)
            let token = try await api.login("admin@mesa.example", .demoPassword)
            // A database hiccup on purpose: the table every sign-in and password change writes to is gone.
            let admin = try await TestCluster.shared.adminSettings().with(database: name.withLock { $0 })
            try await Database.withClient(admin, logger: TestCluster.logger) { client in
                _ = try await client.query("ALTER TABLE login_failures RENAME TO login_failures_gone", logger: TestCluster.logger)
            }
            let secret = "correct horse battery staple 2026"
            let signIn = try await api.call(.post, "/api/v1/auth/login", json: ["email": "admin@mesa.example", "password": secret],
                                            headers: [.init("X-Request-Id")!: "sign-in-under-hiccup"])
            #expect(signIn.status == .internalServerError, "\(signIn.text)")
            let change = try await api.call(.post, "/api/v1/auth/password", token: token,
                                            json: ["current_password": String.demoPassword, "new_password": secret])
            #expect(change.status.code >= 400)
            let text = log.text
            #expect(text.contains("sign-in-under-hiccup"), "the request id is logged with the failure")
            #expect(text.contains("login_failures"), "the cause (the missing relation) is logged")
            #expect(!text.contains(secret), "a password reached the log")
            #expect(!text.contains(String.demoPassword), "a password reached the log")
            #expect(!text.contains(token), "a bearer token reached the log")
        }
    }

    @Test func theRedactorRemovesCredentialsInEverySpelling() {
        let samples = [
            #"Authorization: Bearer abc.DEF-123_456~"#: "abc.DEF-123_456",
            #"{"password":"hunter2 two"}"#: "hunter2 two",
            #"newPassword: "s3cret pass""#: "s3cret pass",
            #"current_password="plain words""#: "plain words",
            #"token: tok_9f8e7d"#: "tok_9f8e7d",
            #"client_secret='abc def'"#: "abc def",
        ]
        for (text, secret) in samples {
            let scrubbed = LogRedaction.scrub(text)
            #expect(!scrubbed.contains(secret), "\(text) -> \(scrubbed)")
            #expect(scrubbed.contains("[redacted]"))
        }
        #expect(LogRedaction.scrub("Request failed for /api/v1/applications") == "Request failed for /api/v1/applications")
    }
}

/// Requests the HTTP parser or the path cannot make sense of still get problem documents.
@Suite struct UnreadableRequestTests {
    /// Sends raw bytes to the live server and returns what comes back until the server closes.
    static func raw(_ text: String, port: Int) async throws -> String {
        let connection = try RawConnection(port: port)
        // The server may close before it has read everything (that is the point of the over-long line).
        try? connection.send(text)
        return String(decoding: await connection.receive(seconds: 10, until: { _ in false }).bytes, as: UTF8.self)
    }

    @Test func anOverLongRequestLineGetsAProblemDocument() async throws {
        try await TestApp.run { client in
            let port = try #require(client.port)
            let answer = try await Self.raw("GET /api/v1/" + String(repeating: "a", count: 100_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", port: port)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")
            #expect(answer.lowercased().contains("content-type: application/problem+json"))
            #expect(answer.contains("\"type\":\"https://apex.example/problems/bad-request\""))
            // Another of the kind: a header block that is not HTTP.
            let garbage = try await Self.raw("GET / HTTP/1.1\r\nHost x\u{1}\r\n\r\n", port: port)
            #expect(garbage.hasPrefix("HTTP/1.1 400") && garbage.contains("problems/bad-request"), "\(garbage.prefix(200))")
        }
    }

    @Test func aNulInThePathIsNotFoundAndInTheQueryABadRequest() async throws {
        try await TestApp.run(signedIn: true) { client in
            let api = API(client: client)
            let path = try await api.call(.get, "/api/v1/applications/%00")
            #expect(path.status == .notFound, "\(path.text)")
            let query = try await api.call(.get, "/api/v1/practices?q=a%00b")
            #expect(query.status == .badRequest && query["field"] == "q", "\(query.text)")
        }
    }
}

/// Ids go out in lower case, in problem details too (the domain's messages interpolate `UUID`).
@Suite struct LowercaseIDTests {
    @Test func problemDetailsNameIdsInLowerCase() async throws {
        try await TestApp.run(publish: [TestApp.rptRelease], demo: true) { client in
            let api = API(client: client)
            let token = try await api.login("staff@apex.example", .demoPassword)
            let application = try #require(try await api.call(.get, "/api/v1/applications", token: token).items.first?["id"] as? String)
            let missing = UUID()
            // The path as a client writes it; the domain's message then names the id (UUID text is upper case).
            for path in ["rfis/\(missing.uuidString.lowercased())/transitions", "corrective-actions/\(missing.uuidString.lowercased())/transitions"] {
                let reply = try await api.call(.post, "/api/v1/applications/\(application)/\(path)", token: token,
                                               json: ["action": "close", "version": 1])
                #expect(reply.status == .notFound, "\(reply.text)")
                let detail = reply["detail"] ?? ""
                #expect(!detail.contains(missing.uuidString) && detail.contains(missing.uuidString.lowercased()), "\(reply.text)")
            }
        }
    }
}
