public import AccreditationCore
public import Foundation
public import Logging
public import PostgresNIO
import Crypto
import HummingbirdBcrypt
import NIOPosix

public struct AccountSettings: Sendable, Equatable {
    public var sessionLifetime: TimeInterval = 12 * 3600
    /// Failures for one email address (known or not) within the window before it is locked.
    public var failuresBeforeAccountLock = 5
    public var accountLock: TimeInterval = 15 * 60
    public var failuresBeforeAddressLock = 20
    /// Failures from one address count within this window.
    public var addressWindow: TimeInterval = 15 * 60
    public var addressLock: TimeInterval = 15 * 60
    /// bcrypt work factor; tests lower it to stay fast.
    public var bcryptCost: UInt8 = 12

    public init() {}
}

public enum AccountError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Unknown email or wrong password: deliberately the same answer for both.
    case invalidCredentials(failures: Int)
    case locked(until: Date)
    case weakPassword(String)
    case unauthenticated
    case invitationUnusable

    public var description: String {
        switch self {
        case .invalidCredentials: "The email or password is not right."
        case let .locked(until): "Too many failed sign-ins; try again after \(until.formatted(.iso8601))."
        case let .weakPassword(reason): reason
        case .unauthenticated: "The token is missing, unknown, expired or revoked."
        case .invitationUnusable: "This invitation link is unknown, already used or expired; ask for a new one."
        }
    }
}

public struct Session: Sendable, Equatable {
    /// Shown once, to the person who signed in; only its SHA-256 is stored.
    public let token: String
    public let expiresAt: Date
    public let identity: Identity
}

/// Passwords (bcrypt), sessions (opaque bearer tokens stored as hashes) and the throttling of failed
/// sign-ins per account and per client address.
public struct AccountStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let clock: any WorkflowClock
    public let settings: AccountSettings
    /// A real bcrypt hash (of nothing anyone knows) at the configured cost, so an unknown email costs
    /// as much time as a wrong password.
    let decoyHash: String

    public init(client: PostgresClient, logger: Logger, clock: any WorkflowClock = SystemClock(), settings: AccountSettings = .init()) {
        self.client = client
        self.logger = logger
        self.clock = clock
        self.settings = settings
        decoyHash = Bcrypt.hash(UUID().uuidString, cost: settings.bcryptCost)
    }

    public func now() -> Date { clock.now() }

    /// Sets a password and ends every session and API token of the person except `keeping` (the token of
    /// a person changing their own password): after a reset, whoever held the old password is out.
    public func setPassword(person: UUID, password: String, keeping token: String? = nil) async throws {
        if let problem = PasswordPolicy.problem(with: password) { throw AccountError.weakPassword(problem) }
        let hash = try await hash(password)
        let rows = try await client.query("""
            UPDATE people SET password_hash = \(hash) WHERE id = \(person) RETURNING email
            """, logger: logger)
        for try await email in rows.decode(String.self) {
            _ = try await client.query("DELETE FROM login_failures WHERE subject = \(Self.emailSubject(email))", logger: logger)
            let kept = token.map(Self.digest)
            _ = try await client.query("""
                UPDATE sessions SET revoked_at = \(clock.now())
                WHERE person_id = \(person) AND revoked_at IS NULL AND (\(kept)::text IS NULL OR token_hash <> \(kept))
                """, logger: logger)
            return
        }
        throw WorkflowError.notFound("Person \(person)")
    }

    /// bcrypt runs on NIO's blocking-work threads, never on the few threads every request shares.
    func hash(_ password: String) async throws -> String {
        let cost = settings.bcryptCost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// Signs in. Failures count against the email address as typed and the client address; past the
    /// limits each is locked for a while. An unknown email costs the same bcrypt work, is counted and
    /// locked the same way, and gets the same answers as a known one.
    public func login(email: String, password: String, address: String) async throws -> Session {
        let now = clock.now()
        let failures = try await admit(email: email, address: address, now: now)
        var found: (UUID, String?)?
        for try await row in try await client.query(
            "SELECT id, password_hash FROM people WHERE email = \(email.lowercased())", logger: logger
        ).decode((UUID, String?).self) { found = row }
        let matches = try await verify(password, against: found?.1 ?? decoyHash) && found?.1 != nil
        guard let (person, _) = found, matches else {
            logger.notice("Failed sign-in", metadata: ["address": "\(address)"])
            throw AccountError.invalidCredentials(failures: failures)
        }
        try await refund(email: email, address: address)
        return try await openSession(for: person, now: now)
    }

    /// The identity behind a bearer token, if it is known, not expired and not revoked.
    public func authenticate(token: String) async throws -> Identity {
        try await session(token: token).identity
    }

    /// The identity behind a bearer token and when the token expires.
    public func session(token: String) async throws -> (identity: Identity, expiresAt: Date) {
        for try await (id, role, practice, name, email, expires) in try await client.query("""
            SELECT p.id, p.role, p.practice_id, p.display_name, p.email, s.expires_at
            FROM sessions s JOIN people p ON p.id = s.person_id
            WHERE s.token_hash = \(Self.digest(token)) AND s.revoked_at IS NULL AND s.expires_at > \(clock.now())
            """, logger: logger).decode((UUID, String, UUID?, String, String, Date).self) {
            guard let role = Role(rawValue: role) else { break }
            return (Identity(personID: id, role: role, practiceID: practice, displayName: name, email: email), expires)
        }
        throw AccountError.unauthenticated
    }

    public func logout(token: String) async throws {
        let rows = try await client.query("""
            UPDATE sessions SET revoked_at = \(clock.now()) WHERE token_hash = \(Self.digest(token)) AND revoked_at IS NULL RETURNING person_id
            """, logger: logger)
        for try await _ in rows { return }
        throw AccountError.unauthenticated
    }

    /// Changes the password after checking the current one, and ends every other session of the person.
    /// Wrong current passwords count and lock like failed sign-ins, so a stolen token cannot guess on.
    public func changePassword(token: String, current: String, new: String, address: String) async throws {
        let identity = try await authenticate(token: token)
        let failures = try await admit(email: identity.email, address: address, now: clock.now())
        var stored: String?
        for try await hash in try await client.query(
            "SELECT password_hash FROM people WHERE id = \(identity.personID)", logger: logger
        ).decode(String?.self) { stored = hash }
        guard let stored, try await verify(current, against: stored) else {
            throw AccountError.invalidCredentials(failures: failures)
        }
        try await refund(email: identity.email, address: address)
        try await setPassword(person: identity.personID, password: new, keeping: token)
    }

    // MARK: -

    func openSession(for person: UUID, now: Date) async throws -> Session {
        let token = Self.randomToken()
        let expires = now.addingTimeInterval(settings.sessionLifetime)
        _ = try await client.query("""
            INSERT INTO sessions (token_hash, person_id, created_at, expires_at) VALUES (\(Self.digest(token)), \(person), \(now), \(expires))
            """, logger: logger)
        return Session(token: token, expiresAt: expires, identity: try await authenticate(token: token))
    }

    static func emailSubject(_ email: String) -> String { "email:" + email.trimmingCharacters(in: .whitespaces).lowercased() }
    static func addressSubject(_ address: String) -> String { "address:" + address }

    private func checkLocks(_ subjects: [String], now: Date) async throws {
        for try await lockedUntil in try await client.query(
            "SELECT max(locked_until) FROM login_failures WHERE subject = ANY(\(subjects)) AND locked_until > \(now)", logger: logger
        ).decode(Date?.self) {
            if let lockedUntil { throw AccountError.locked(until: lockedUntil) }
        }
    }

    /// Counts this attempt against the email and the client address before the password is checked,
    /// so parallel guesses cannot all slip under the limits: past a limit the attempt is refused
    /// without checking. Returns the email's count (it sets the answer's delay, known account or not).
    private func admit(email: String, address: String, now: Date) async throws -> Int {
        let subjects = [Self.emailSubject(email), Self.addressSubject(address)]
        try await checkLocks(subjects, now: now)
        let emailCount = try await count(subjects[0], now: now, window: settings.addressWindow,
                                         lockAt: settings.failuresBeforeAccountLock, lock: settings.accountLock)
        let addressCount = try await count(subjects[1], now: now, window: settings.addressWindow,
                                           lockAt: settings.failuresBeforeAddressLock, lock: settings.addressLock)
        if emailCount > settings.failuresBeforeAccountLock || addressCount > settings.failuresBeforeAddressLock {
            try await checkLocks(subjects, now: now)
        }
        return emailCount
    }

    /// A right password: the email's count starts again, and the attempt no longer counts for the address.
    private func refund(email: String, address: String) async throws {
        _ = try await client.query("DELETE FROM login_failures WHERE subject = \(Self.emailSubject(email))", logger: logger)
        _ = try await client.query("""
            UPDATE login_failures SET failures = greatest(failures - 1, 0),
                locked_until = CASE WHEN failures - 1 < \(settings.failuresBeforeAddressLock) THEN NULL ELSE locked_until END
            WHERE subject = \(Self.addressSubject(address))
            """, logger: logger)
    }

    private func count(_ subject: String, now: Date, window: TimeInterval, lockAt: Int, lock: TimeInterval) async throws -> Int {
        let windowStart = now.addingTimeInterval(-window)
        for try await failures in try await client.query("""
            INSERT INTO login_failures (subject, failures, window_start) VALUES (\(subject), 1, \(now))
            ON CONFLICT (subject) DO UPDATE SET
                failures = CASE WHEN login_failures.window_start < \(windowStart) THEN 1 ELSE login_failures.failures + 1 END,
                window_start = CASE WHEN login_failures.window_start < \(windowStart) THEN \(now) ELSE login_failures.window_start END
            RETURNING failures
            """, logger: logger).decode(Int.self) {
            if failures >= lockAt {
                _ = try await client.query(
                    "UPDATE login_failures SET locked_until = \(now.addingTimeInterval(lock)) WHERE subject = \(subject)", logger: logger)
            }
            return failures
        }
        return 1
    }

    static func digest(_ token: String) -> String {
        Encoding.sha256Hex(Data(token.utf8))
    }
}
