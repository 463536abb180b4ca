import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Persistence
import TestSupport
import Synchronization
import Testing

/// Sign-in, tokens and lockouts, over real HTTP against the real database.
@Suite struct AccountsAPITests {
    static let password = "correct horse battery"

    /// One staff member with a password.
    static func seed(_ settings: DatabaseSettings) async throws {
        try await Database.withClient(settings, logger: TestCluster.logger) { client in
            let store = WorkflowStore(client: client, logger: TestCluster.logger)
            let person = try await store.createPerson(email: "Staff@Example.org", name: "Sam Staff", role: .staff)
            var settings = AccountSettings()
            settings.bcryptCost = 4
            try await AccountStore(client: client, logger: TestCluster.logger, settings: settings).setPassword(person: person, password: password)
        }
    }

    static func login(_ client: any TestClientProtocol, email: String = "staff@example.org", password: String = password) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                                 body: ByteBuffer(string: #"{"email":"\#(email)","password":"\#(password)"}"#))
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    @Test func signInUseTheTokenAndSignOut() async throws {
        try await TestApp.run(seed: Self.seed) { client in
            let response = try await Self.login(client)
            #expect(response.status == .ok)
            let token = try #require(response.json["token"] as? String)
            #expect(token.count >= 43)
            #expect((response.json["person"] as? [String: Any])?["role"] as? String == "staff")
            try await client.execute(uri: "/api/v1/me", method: .get, headers: Self.bearer(token)) { me in
                #expect(me.status == .ok)
                #expect(me.json["email"] as? String == "staff@example.org")
                #expect(me.json["display_name"] as? String == "Sam Staff")
            }
            try await client.execute(uri: "/api/v1/auth/logout", method: .post, headers: Self.bearer(token)) { out in
                #expect(out.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: Self.bearer(token)) { me in
                #expect(me.status == .unauthorized)
                #expect(me.json["type"] as? String == "https://apex.example/problems/unauthenticated")
            }
        }
    }

    @Test func withoutOrWithABadTokenIsUnauthorized() async throws {
        try await TestApp.run(seed: Self.seed) { client in
            try await client.execute(uri: "/api/v1/me", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: Self.bearer("not-a-token")) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Basic c3RhZmY6cHc="]) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/auth/logout", method: .post) { #expect($0.status == .unauthorized) }
        }
    }

    @Test func wrongPasswordAndUnknownEmailGetTheSameAnswer() async throws {
        try await TestApp.run(seed: Self.seed) { client in
            let wrong = try await Self.login(client, password: "not the password at all")
            let unknown = try await Self.login(client, email: "nobody@example.org")
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            #expect(wrong.json["detail"] as? String == unknown.json["detail"] as? String)
        }
    }

    @Test func repeatedFailuresLockTheAccountForAWhile() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_790_000_000))
        try await TestApp.run(clock: clock, seed: Self.seed) { client in
            for _ in 0..<5 { #expect(try await Self.login(client, password: "guess guess guess").status == .unauthorized) }
            let locked = try await Self.login(client)
            #expect(locked.status == .tooManyRequests)
            #expect(locked.headers[.retryAfter] == "900")
            #expect(locked.json["type"] as? String == "https://apex.example/problems/locked")
            clock.advance(days: 16.0 / 1440)
            #expect(try await Self.login(client).status == .ok)
        }
    }

    @Test func unknownEmailsAreSlowedAndLockedLikeKnownOnes() async throws {
        try await TestApp.run(configure: { $0.accounts.failuresBeforeAddressLock = 100 }, seed: Self.seed) { client in
            for _ in 0..<5 { #expect(try await Self.login(client, email: "nobody@example.org", password: "guess guess guess").status == .unauthorized) }
            let locked = try await Self.login(client, email: "nobody@example.org", password: "guess guess guess")
            #expect(locked.status == .tooManyRequests, "an unknown email locks after the same number of failures as a known one")
            #expect(locked.headers[.retryAfter] == "900")
        }
    }

    @Test func wrongCurrentPasswordsLockLikeFailedSignIns() async throws {
        try await TestApp.run(seed: Self.seed) { client in
            let token = try #require(try await Self.login(client).json["token"] as? String)
            let body = ByteBuffer(string: #"{"current_password": "not it at all", "new_password": "another fine password"}"#)
            var headers = Self.bearer(token)
            headers[.contentType] = "application/json"
            for _ in 0..<5 {
                try await client.execute(uri: "/api/v1/auth/password", method: .post, headers: headers, body: body) { #expect($0.status == .unauthorized) }
            }
            try await client.execute(uri: "/api/v1/auth/password", method: .post, headers: headers, body: body) { #expect($0.status == .tooManyRequests) }
        }
    }

    @Test func parallelGuessesCannotSlipUnderTheLimit() async throws {
        try await TestApp.run(configure: { $0.accounts.failuresBeforeAddressLock = 1_000 }, seed: Self.seed) { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 { group.addTask { try await Self.login(client, password: "guess guess guess").status } }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            // Each attempt is counted before its password is checked: at most the limit are checked at all.
            #expect(statuses.filter { $0 == .unauthorized }.count <= 5)
            #expect(statuses.filter { $0 == .tooManyRequests }.count >= 15)
        }
    }

    @Test func anOperatorResetEndsEverySession() async throws {
        let database = Mutex<DatabaseSettings?>(nil)
        try await TestApp.run(seed: { settings in
            try await Self.seed(settings)
            database.withLock { $0 = settings }
        }) { client in
            let token = try #require(try await Self.login(client).json["token"] as? String)
            try await Self.reset(database.withLock { $0 })
            // The session cache forgets within its lifetime; the database already refuses.
            try await Task.sleep(for: .milliseconds(2_100))
            try await client.execute(uri: "/api/v1/me", method: .get, headers: Self.bearer(token)) { #expect($0.status == .unauthorized) }
        }
    }

    static func reset(_ settings: DatabaseSettings?) async throws {
        let settings = try #require(settings)
        try await Database.withClient(settings, logger: TestCluster.logger) { client in
            var accountSettings = AccountSettings()
            accountSettings.bcryptCost = 4
            let accounts = AccountStore(client: client, logger: TestCluster.logger, settings: accountSettings)
            var person: UUID?
            for try await id in try await client.query("SELECT id FROM people WHERE email = 'staff@example.org'", logger: TestCluster.logger).decode(UUID.self) {
                person = id
            }
            try await accounts.setPassword(person: try #require(person), password: "a brand new password")
        }
    }

    @Test func repeatedFailuresFromOneAddressLockThatAddress() async throws {
        try await TestApp.run(configure: { $0.accounts.failuresBeforeAddressLock = 3 }, seed: Self.seed) { client in
            for index in 0..<3 { _ = try await Self.login(client, email: "someone\(index)@example.org") }
            // Even the right password from that address now waits.
            #expect(try await Self.login(client).status == .tooManyRequests)
        }
    }

    @Test func tokensExpire() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_790_000_000))
        try await TestApp.run(clock: clock, seed: Self.seed) { client in
            let token = try #require(try await Self.login(client).json["token"] as? String)
            clock.advance(days: 0.51)
            try await client.execute(uri: "/api/v1/me", method: .get, headers: Self.bearer(token)) { #expect($0.status == .unauthorized) }
        }
    }

    @Test func changingThePasswordEndsOtherSessions() async throws {
        try await TestApp.run(seed: Self.seed) { client in
            let first = try #require(try await Self.login(client).json["token"] as? String)
            let second = try #require(try await Self.login(client).json["token"] as? String)
            func change(_ current: String, _ new: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/v1/auth/password", method: .post,
                                         headers: Self.bearer(first).merging([.contentType: "application/json"]),
                                         body: ByteBuffer(string: #"{"current_password":"\#(current)","new_password":"\#(new)"}"#))
            }
            let weak = try await change(Self.password, "short")
            #expect(weak.status == .unprocessableContent && weak.json["detail"] as? String == "A password has at least 12 characters.")
            #expect(try await change("wrong current password", "a much better passphrase").status == .unauthorized)
            #expect(try await change(Self.password, "a much better passphrase").status == .noContent)
            try await client.execute(uri: "/api/v1/me", method: .get, headers: Self.bearer(second)) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: Self.bearer(first)) { #expect($0.status == .ok) }
            #expect(try await Self.login(client, password: "a much better passphrase").status == .ok)
            #expect(try await Self.login(client).status == .unauthorized)
        }
    }

    @Test(arguments: [#"{"email":"x"}"#, #"{"email":1,"password":"p"}"#, #"{"email":"x","password":"p","admin":true}"#, "nope"])
    func badLoginBodies(body: String) async throws {
        try await TestApp.run(seed: Self.seed) { client in
            try await client.execute(uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: body)) { #expect($0.status == .badRequest) }
        }
    }
}

extension HTTPFields {
    func merging(_ other: HTTPFields) -> HTTPFields {
        var copy = self
        for field in other { copy.append(field) }
        return copy
    }
}

@Suite struct AccountCommandTests {
    @Test func staffAccountsAreCreatedAndGivenPasswordsFromTheCommandLine() async throws {
        try await TestDatabase.with { database in
            let url = AuditCommandTests.url(database.settings)
            let created = try await ApexProcess.run(["accounts", "create-staff", "Pat@ASTRO.example", "Pat Staff", "--database-url", url])
            #expect(created.status == 0, "\(created.output)")
            #expect(created.output.contains("Created staff member pat@astro.example"))
            let weak = try await ApexProcess.run(["accounts", "set-password", "pat@astro.example", "--database-url", url], input: "short\n")
            #expect(weak.status != 0 && weak.output.contains("A password has at least 12 characters."))
            let unknown = try await ApexProcess.run(["accounts", "set-password", "nobody@astro.example", "--database-url", url],
                                                    input: "a long enough passphrase\n")
            #expect(unknown.status != 0 && unknown.output.contains("Account nobody@astro.example was not found."))
            let set = try await ApexProcess.run(["accounts", "set-password", "pat@astro.example", "--database-url", url],
                                                input: "a long enough passphrase\n")
            #expect(set.status == 0, "\(set.output)")
            #expect(!set.output.contains("a long enough passphrase"))
            let session = try await Database.withClient(database.settings, logger: TestCluster.logger) { client in
                try await AccountStore(client: client, logger: TestCluster.logger)
                    .login(email: "pat@astro.example", password: "a long enough passphrase", address: "127.0.0.1")
            }
            #expect(session.identity.role == .staff && session.identity.displayName == "Pat Staff")
            let bad = try await ApexProcess.run(["accounts", "create-staff", "not-an-email", "X", "--database-url", url])
            #expect(bad.status != 0 && bad.output.contains("'not-an-email' is not an email address."))
        }
    }
}
