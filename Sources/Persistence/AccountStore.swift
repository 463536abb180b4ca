public import AccreditationCore
public import Foundation
public import Logging
public import PostgresNIO
import Crypto
import HummingbirdBcrypt

public struct AccountSettings: Sendable, Equatable {
    public var sessionLifetime: TimeInterval = 12 * 3600
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

    public func setPassword(person: UUID, password: String) async throws {
        if let problem = PasswordPolicy.problem(with: password) { throw AccountError.weakPassword(problem) }
        let hash = Bcrypt.hash(password, cost: settings.bcryptCost)
        let rows = try await client.query("""
            UPDATE people SET password_hash = \(hash), failed_logins = 0, locked_until = NULL WHERE id = \(person) RETURNING id
            """, logger: logger)
        for try await _ in rows { return }
        throw WorkflowError.notFound("Person \(person)")
    }

    /// Signs in. Failures count against the account and the client address; past the limits both are
    /// locked for a while. An unknown email costs the same bcrypt work as a wrong password.
    public func login(email: String, password: String, address: String) async throws -> Session {
        let now = clock.now()
        try await checkAddress(address, now: now)
        var found: (UUID, String?, Int, Date?)?
        for try await row in try await client.query("""
            SELECT id, password_hash, failed_logins, locked_until FROM people WHERE email = \(email.lowercased())
            """, logger: logger).decode((UUID, String?, Int, Date?).self) { found = row }
        if let (_, _, _, lockedUntil) = found, let lockedUntil, lockedUntil > now {
            throw AccountError.locked(until: lockedUntil)
        }
        let stored = found?.1 ?? decoyHash
        let matches = Bcrypt.verify(password, hash: stored) && found?.1 != nil
        guard let (person, _, failures, _) = found, matches else {
            let count = try await recordFailure(person: found?.0, failures: found?.2 ?? 0, address: address, now: now)
            throw AccountError.invalidCredentials(failures: count)
        }
        if failures > 0 {
            _ = try await client.query("UPDATE people SET failed_logins = 0, locked_until = NULL WHERE id = \(person)", logger: logger)
        }
        return try await openSession(for: person, now: now)
    }

    /// The identity behind a bearer token, if it is known, not expired and not revoked.
    public func authenticate(token: String) async throws -> Identity {
        let rows = try await client.query("""
            SELECT p.id, p.role, p.practice_id, p.display_name, p.email
            FROM sessions s JOIN people p ON p.id = s.person_id
            WHERE s.token_hash = \(Self.digest(token)) AND s.revoked_at IS NULL AND s.expires_at > \(clock.now())
            """, logger: logger)
        for try await (id, role, practice, name, email) in rows.decode((UUID, String, UUID?, String, String).self) {
            guard let role = Role(rawValue: role) else { break }
            return Identity(personID: id, role: role, practiceID: practice, displayName: name, email: email)
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
    public func changePassword(token: String, current: String, new: String) async throws {
        let identity = try await authenticate(token: token)
        var stored: String?
        for try await hash in try await client.query(
            "SELECT password_hash FROM people WHERE id = \(identity.personID)", logger: logger
        ).decode(String?.self) { stored = hash }
        guard let stored, Bcrypt.verify(current, hash: stored) else { throw AccountError.invalidCredentials(failures: 0) }
        try await setPassword(person: identity.personID, password: new)
        _ = try await client.query("""
            UPDATE sessions SET revoked_at = \(clock.now())
            WHERE person_id = \(identity.personID) AND token_hash <> \(Self.digest(token)) AND revoked_at IS NULL
            """, logger: logger)
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

    private func checkAddress(_ address: String, now: Date) async throws {
        for try await lockedUntil in try await client.query(
            "SELECT locked_until FROM login_failures WHERE address = \(address)", logger: logger
        ).decode(Date?.self) {
            if let lockedUntil, lockedUntil > now { throw AccountError.locked(until: lockedUntil) }
        }
    }

    /// Counts a failure for the account (when the email is known) and the address; returns the account's count.
    private func recordFailure(person: UUID?, failures: Int, address: String, now: Date) async throws -> Int {
        let count = failures + 1
        if let person {
            let lock: Date? = count >= settings.failuresBeforeAccountLock ? now.addingTimeInterval(settings.accountLock) : nil
            _ = try await client.query("UPDATE people SET failed_logins = \(count), locked_until = \(lock) WHERE id = \(person)", logger: logger)
        }
        let windowStart = now.addingTimeInterval(-settings.addressWindow)
        let lockAt = settings.failuresBeforeAddressLock
        let lockUntil = now.addingTimeInterval(settings.addressLock)
        _ = try await client.query("""
            INSERT INTO login_failures (address, failures, window_start) VALUES (\(address), 1, \(now))
            ON CONFLICT (address) DO UPDATE SET
                failures = CASE WHEN login_failures.window_start < \(windowStart) THEN 1 ELSE login_failures.failures + 1 END,
                window_start = CASE WHEN login_failures.window_start < \(windowStart) THEN \(now) ELSE login_failures.window_start END,
                locked_until = CASE WHEN login_failures.window_start >= \(windowStart) AND login_failures.failures + 1 >= \(lockAt)
                                    THEN \(lockUntil) ELSE login_failures.locked_until END
            """, logger: logger)
        logger.notice("Failed sign-in", metadata: ["address": "\(address)", "known_account": "\(person != nil)"])
        return count
    }

    static func digest(_ token: String) -> String {
        Encoding.sha256Hex(Data(token.utf8))
    }
}
