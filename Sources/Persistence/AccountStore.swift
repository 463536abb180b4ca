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
    /// A sign-in still being checked after this long is taken for abandoned (its process stopped) and no
    /// longer holds a place among the attempts in progress.
    public var attemptTimeout: TimeInterval = 60

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

/// A sign-in refused because, for its email or its client address, as many sign-ins are being checked
/// right now as failures are left before the lock. Nothing is locked: once those are answered, signing in
/// works again. Without this, a burst of parallel guesses could all be checked before any counted.
public struct SignInsInProgress: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Scope: String, Sendable, Equatable {
        case email = "this email address"
        case address = "this client address"
    }

    public let scope: Scope
    public let inProgress: Int
    /// Seconds to wait: a password check takes well under one.
    public let retryAfter = 1

    public var description: String {
        "\(inProgress) sign-in(s) for \(scope.rawValue) are being checked right now; try again in \(retryAfter) second(s)."
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
    /// a person changing their own password): after a reset, whoever held the old password is out. It
    /// also revokes the invitations the person sent that are still open, since whoever held the old password
    /// may have sent them, clears the email's failed sign-ins (lifting its lock), and records the change.
    public func setPassword(person: UUID, password: String, keeping token: String? = nil) async throws {
        if let problem = PasswordPolicy.problem(with: password) { throw AccountError.weakPassword(problem) }
        let hash = try await hash(password)
        let now = clock.now()
        let kept = token.map(Self.digest)
        try await client.transaction(logger: logger) { connection in
            var found: (email: String, role: String)?
            for try await row in try await connection.query("""
                UPDATE people SET password_hash = \(hash) WHERE id = \(person) RETURNING email, role
                """, logger: logger).decode((String, String).self) { found = row }
            guard let found else { throw WorkflowError.notFound("Person \(person)") }
            _ = try await connection.query("DELETE FROM login_failures WHERE subject = \(Self.emailSubject(found.email))", logger: logger)
            let sessions = try await Self.endSessions(of: person, keeping: kept, now: now, on: connection, logger: logger)
            let invitations = try await Self.revokeInvitations(sentBy: person, now: now, on: connection, logger: logger)
            // A token kept means the person changed their own password; otherwise an operator set it.
            try await Self.record(.passwordSet, person: person, actor: kept == nil ? nil : (person, found.role), now: now,
                                  detail: ["sessions_ended": sessions, "invitations_revoked": invitations], reason: "", on: connection, logger: logger)
        }
    }

    /// bcrypt runs on NIO's blocking-work threads, never on the few threads every request shares.
    func hash(_ password: String) async throws -> String {
        let cost = settings.bcryptCost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// Signs in. Failures count against the email address (in its canonical form) and the client address;
    /// past the limits each is locked for a while. An unknown email, and a deactivated account, cost the
    /// same bcrypt work, are counted and locked the same way, and get the same answers as a wrong password.
    /// A right password counts nothing. Throws `EmailAddress.Problem` for text that is not an address.
    public func login(email: String, password: String, address: String) async throws -> Session {
        let email = try EmailAddress(email)
        let now = clock.now()
        let subjects = Subjects(email: email.canonical, address: address)
        let attempt = try await admit(subjects, now: now)
        do {
            var found: (UUID, String?)?
            for try await row in try await client.query(
                "SELECT id, password_hash FROM people WHERE email = \(email.canonical) AND deactivated_at IS NULL", logger: logger
            ).decode((UUID, String?).self) { found = row }
            let matches = try await verify(password, against: found?.1 ?? decoyHash) && found?.1 != nil
            guard let (person, _) = found, matches else {
                let failures = try await finish(attempt, subjects, failed: true, now: now)
                logger.notice("Failed sign-in", metadata: ["address": "\(address)"])
                throw AccountError.invalidCredentials(failures: failures)
            }
            _ = try await finish(attempt, subjects, failed: false, now: now)
            return try await openSession(for: person, now: now)
        } catch {
            // Whatever went wrong, the attempt no longer holds a place (a no-op once finished).
            // Unstructured: a sign-in cancelled at its deadline must not leave its attempt counted.
            if !(error is AccountError) { try? await Task { try await release(attempt) }.value }
            throw error
        }
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
              AND p.deactivated_at IS NULL
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
        let now = clock.now()
        let subjects = Subjects(email: identity.email, address: address)
        let attempt = try await admit(subjects, now: now)
        do {
            var stored: String?
            for try await hash in try await client.query(
                "SELECT password_hash FROM people WHERE id = \(identity.personID)", logger: logger
            ).decode(String?.self) { stored = hash }
            guard let stored, try await verify(current, against: stored) else {
                throw AccountError.invalidCredentials(failures: try await finish(attempt, subjects, failed: true, now: now))
            }
            _ = try await finish(attempt, subjects, failed: false, now: now)
        } catch {
            // Unstructured: a sign-in cancelled at its deadline must not leave its attempt counted.
            if !(error is AccountError) { try? await Task { try await release(attempt) }.value }
            throw error
        }
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

    /// Failed sign-ins and attempts in progress are kept per subject: the canonical email and the client address.
    static func emailSubject(_ canonicalEmail: String) -> String { "email:" + canonicalEmail }
    static func addressSubject(_ address: String) -> String { "address:" + address }

    struct Subjects {
        let email: String
        let address: String

        init(email canonical: String, address: String) {
            email = AccountStore.emailSubject(canonical)
            self.address = AccountStore.addressSubject(address)
        }

        var all: [String] { [email, address] }
    }

    /// Advisory-lock class of sign-in admissions (two-key locks never meet the migrator's one-key lock).
    static let admissionLockClass: Int32 = 0x6C6F67

    /// Lets an attempt have its password checked, or says why not: a subject that is locked answers
    /// `locked` (the lock is stored, with its end), and a subject with as many attempts in progress as it
    /// has failures left before the lock answers `SignInsInProgress` (nothing is locked). So at most the
    /// limit's worth of wrong passwords are ever checked, however many arrive at once, while a correct
    /// password never counts as a failure. Admissions of one subject take turns (an advisory lock held
    /// for the few milliseconds of this transaction, never during bcrypt).
    private func admit(_ subjects: Subjects, now: Date) async throws -> UUID {
        let attempt = UUID()
        let windowStart = now.addingTimeInterval(-settings.addressWindow)
        let staleBefore = now.addingTimeInterval(-settings.attemptTimeout)
        try await client.transaction(logger: logger) { connection in
            try await lockAdmissions(subjects, on: connection)
            var failures: [String: Int] = [:]
            var lockedUntil: Date?
            for try await (subject, count, start, until) in try await connection.query("""
                SELECT subject, failures, window_start, locked_until FROM login_failures WHERE subject = ANY(\(subjects.all))
                """, logger: logger).decode((String, Int, Date, Date?).self) {
                if let until, until > now { lockedUntil = max(lockedUntil ?? until, until) }
                failures[subject] = start < windowStart ? 0 : count
            }
            if let lockedUntil { throw AccountError.locked(until: lockedUntil) }
            _ = try await connection.query("""
                DELETE FROM login_attempts WHERE subject = ANY(\(subjects.all)) AND started_at <= \(staleBefore)
                """, logger: logger).collect()
            var inProgress: [String: Int] = [:]
            for try await (subject, count) in try await connection.query("""
                SELECT subject, count(*)::int FROM login_attempts WHERE subject = ANY(\(subjects.all)) GROUP BY subject
                """, logger: logger).decode((String, Int).self) { inProgress[subject] = count }
            for (subject, limit, scope) in [(subjects.email, settings.failuresBeforeAccountLock, SignInsInProgress.Scope.email),
                                            (subjects.address, settings.failuresBeforeAddressLock, .address)] {
                let running = inProgress[subject, default: 0]
                // With nothing in progress one attempt always goes ahead, so this answer is never given alone.
                if running > 0 && failures[subject, default: 0] + running >= limit {
                    throw SignInsInProgress(scope: scope, inProgress: running)
                }
            }
            for subject in subjects.all {
                _ = try await connection.query("""
                    INSERT INTO login_attempts (attempt_id, subject, started_at) VALUES (\(attempt), \(subject), \(now))
                    """, logger: logger).collect()
            }
        }
        return attempt
    }

    /// Ends an admitted attempt. A failure counts against both subjects (and locks one past its limit);
    /// a success starts the email's count again. In one transaction with freeing the attempt's place, so
    /// a concurrent admission never sees the place free before the failure is counted. Returns the
    /// email's failures in the window (0 after a success).
    private func finish(_ attempt: UUID, _ subjects: Subjects, failed: Bool, now: Date) async throws -> Int {
        try await client.transaction(logger: logger) { connection in
            // The admissions' lock too: an admission reads failures and places in two statements, and
            // must not see this attempt's place freed but its failure not yet counted.
            try await lockAdmissions(subjects, on: connection)
            var failures = 0
            if failed {
                failures = try await count(subjects.email, on: connection, now: now, lockAt: settings.failuresBeforeAccountLock, lock: settings.accountLock)
                _ = try await count(subjects.address, on: connection, now: now, lockAt: settings.failuresBeforeAddressLock, lock: settings.addressLock)
            } else {
                _ = try await connection.query("DELETE FROM login_failures WHERE subject = \(subjects.email)", logger: logger).collect()
            }
            _ = try await connection.query("DELETE FROM login_attempts WHERE attempt_id = \(attempt)", logger: logger).collect()
            return failures
        }
    }

    /// Takes the subjects' admission locks for the rest of the transaction, in one order everywhere so two
    /// transactions never wait on each other crosswise.
    private func lockAdmissions(_ subjects: Subjects, on connection: PostgresConnection) async throws {
        for subject in subjects.all.sorted() {
            _ = try await connection.query(
                "SELECT pg_advisory_xact_lock(\(Self.admissionLockClass), hashtext(\(subject)))", logger: logger).collect()
        }
    }

    /// Frees an attempt's place without counting it (the check itself failed, for instance the database).
    private func release(_ attempt: UUID) async throws {
        _ = try await client.query("DELETE FROM login_attempts WHERE attempt_id = \(attempt)", logger: logger)
    }

    private func count(_ subject: String, on connection: PostgresConnection, now: Date, lockAt: Int, lock: TimeInterval) async throws -> Int {
        let windowStart = now.addingTimeInterval(-settings.addressWindow)
        for try await failures in try await connection.query("""
            INSERT INTO login_failures (subject, failures, window_start) VALUES (\(subject), 1, \(now))
            ON CONFLICT (subject) DO UPDATE SET
                failures = CASE WHEN login_failures.window_start < \(windowStart) THEN 1 ELSE login_failures.failures + 1 END,
                window_start = CASE WHEN login_failures.window_start < \(windowStart) THEN \(now) ELSE login_failures.window_start END
            RETURNING failures
            """, logger: logger).decode(Int.self) {
            if failures >= lockAt {
                _ = try await connection.query(
                    "UPDATE login_failures SET locked_until = \(now.addingTimeInterval(lock)) WHERE subject = \(subject)", logger: logger).collect()
            }
            return failures
        }
        return 1
    }

    static func digest(_ token: String) -> String {
        Encoding.sha256Hex(Data(token.utf8))
    }
}
