public import AccreditationCore
public import Foundation
import HummingbirdBcrypt
import PostgresNIO

/// A long-lived token for an integration, as listed to its owner (never the token itself).
public struct APITokenInfo: Sendable, Equatable {
    public let id: UUID
    public let name: String
    public let createdAt: Date
    public let expiresAt: Date
    public let revokedAt: Date?
}

/// An invitation as staff see it after sending; the link's token is returned once, at creation.
public struct Invitation: Sendable, Equatable {
    public let id: UUID
    public let token: String
    public let email: String
    public let role: Role
    public let expiresAt: Date
}

/// Who may be invited, by whom: staff invite anyone but administrators; a practice admin invites
/// contributors (and further admins) of their own practice. The role, practice and discipline follow
/// `RoleAssignment`'s rules.
public struct InvitationRequest: Sendable, Equatable {
    public var email: String
    public var displayName: String
    public var role: Role
    public var practiceID: UUID?
    public var discipline: Discipline?

    public init(email: String, displayName: String, role: Role, practiceID: UUID?, discipline: Discipline?) {
        self.email = email
        self.displayName = displayName
        self.role = role
        self.practiceID = practiceID
        self.discipline = discipline
    }
}

extension AccountStore {
    // MARK: - API tokens

    public func createAPIToken(for identity: Identity, name: String, lifetimeDays: Int) async throws -> (APITokenInfo, token: String) {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { throw WorkflowError.invalid("A token needs a name of 1 to 100 characters.") }
        guard (1...730).contains(lifetimeDays) else { throw WorkflowError.invalid("A token lives from 1 to 730 days.") }
        let token = Self.randomToken()
        let id = UUID()
        let now = clock.now()
        let expires = now.addingTimeInterval(Double(lifetimeDays) * 86_400)
        _ = try await client.query("""
            INSERT INTO sessions (token_hash, person_id, created_at, expires_at, id, kind, name)
            VALUES (\(Self.digest(token)), \(identity.personID), \(now), \(expires), \(id), 'api', \(name))
            """, logger: logger)
        return (APITokenInfo(id: id, name: name, createdAt: now, expiresAt: expires, revokedAt: nil), token)
    }

    public func apiTokens(of person: UUID) async throws -> [APITokenInfo] {
        var result: [APITokenInfo] = []
        for try await (id, name, created, expires, revoked) in try await client.query("""
            SELECT id, name, created_at, expires_at, revoked_at FROM sessions
            WHERE person_id = \(person) AND kind = 'api' ORDER BY created_at, id
            """, logger: logger).decode((UUID, String, Date, Date, Date?).self) {
            result.append(APITokenInfo(id: id, name: name, createdAt: created, expiresAt: expires, revokedAt: revoked))
        }
        return result
    }

    /// Revokes one of the person's own API tokens; another person's token is "not found".
    public func revokeAPIToken(_ id: UUID, of person: UUID) async throws {
        let rows = try await client.query("""
            UPDATE sessions SET revoked_at = coalesce(revoked_at, \(clock.now()))
            WHERE id = \(id) AND person_id = \(person) AND kind = 'api' RETURNING id
            """, logger: logger)
        for try await _ in rows { return }
        throw WorkflowError.notFound("API token \(id)")
    }

    // MARK: - Invitations

    public func invite(_ request: InvitationRequest, by inviter: Identity, lifetimeHours: Int = 72) async throws -> Invitation {
        guard AccessPolicy.canInvite(request.role, into: request.practiceID, as: inviter) else {
            throw WorkflowError.refused(.roleNotAllowed(action: "invite-\(request.role.rawValue)", role: inviter.role))
        }
        let email: String
        do { email = try EmailAddress(request.email).canonical } catch { throw WorkflowError.invalid(error.description) }
        let name = request.displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else { throw WorkflowError.invalid("A person's name has 1 to 200 characters.") }
        if let problem = RoleAssignment(role: request.role, practiceID: request.practiceID, discipline: request.discipline).problem {
            throw WorkflowError.invalid(problem)
        }
        if let practice = request.practiceID {
            var exists = false
            for try await _ in try await client.query("SELECT 1 FROM practices WHERE id = \(practice)", logger: logger) { exists = true }
            guard exists else { throw WorkflowError.notFound("Practice \(practice)") }
        }
        // Staff may learn that an address has an account; a practice admin only for their own practice's
        // people (whom they can list anyway). For an account elsewhere a practice admin gets the same answer
        // as for a new address: the invitation is made, and accepting it fails like a used link.
        var holder: UUID??
        for try await practice in try await client.query("SELECT practice_id FROM people WHERE email = \(email)", logger: logger)
            .decode(UUID?.self) { holder = .some(practice) }
        if let holder, AccessPolicy.isStaff(inviter) || holder == inviter.practiceID {
            throw WorkflowError.invalid("\(email) already has an account.")
        }
        let token = Self.randomToken()
        let id = UUID()
        let now = clock.now()
        let expires = now.addingTimeInterval(Double(lifetimeHours) * 3_600)
        _ = try await client.query("""
            INSERT INTO invitations (id, token_hash, email, display_name, role, practice_id, discipline, invited_by, created_at, expires_at)
            VALUES (\(id), \(Self.digest(token)), \(email), \(name), \(request.role.rawValue), \(request.practiceID),
                    \(request.discipline?.rawValue), \(inviter.personID), \(now), \(expires))
            """, logger: logger)
        return Invitation(id: id, token: token, email: email, role: request.role, expiresAt: expires)
    }

    /// Accepts an invitation once: creates the person with their password and signs them in. An unknown,
    /// used, expired or revoked link gets one answer, so links cannot be probed; so does an invitation whose
    /// sender has since been deactivated, or whose address has meanwhile got an account.
    public func acceptInvitation(token: String, password: String) async throws -> Session {
        if let problem = PasswordPolicy.problem(with: password) { throw AccountError.weakPassword(problem) }
        let now = clock.now()
        // Look the link up before paying for bcrypt, so junk tokens cost nothing.
        var usable = false
        for try await _ in try await client.query("""
            SELECT 1 FROM invitations WHERE token_hash = \(Self.digest(token)) AND accepted_at IS NULL AND revoked_at IS NULL
                AND expires_at > \(now)
            """, logger: logger) { usable = true }
        guard usable else { throw AccountError.invitationUnusable }
        let hash = try await hash(password)
        let person = UUID()
        let created: Bool = try await client.transaction(logger: logger) { connection in
            var invitation: (UUID, String, String, String, UUID?, String?)?
            for try await row in try await connection.query("""
                SELECT i.id, i.email, i.display_name, i.role, i.practice_id, i.discipline FROM invitations i
                JOIN people sender ON sender.id = i.invited_by AND sender.deactivated_at IS NULL
                WHERE i.token_hash = \(Self.digest(token)) AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > \(now)
                FOR UPDATE OF i
                """, logger: logger).decode((UUID, String, String, String, UUID?, String?).self) { invitation = row }
            guard let (id, email, name, role, practice, discipline) = invitation else { return false }
            // The address may have got an account since (another invitation, the command line): no second one.
            var inserted = false
            for try await _ in try await connection.query("""
                INSERT INTO people (id, email, display_name, role, practice_id, discipline, created_at, password_hash)
                VALUES (\(person), \(email), \(name), \(role), \(practice), \(discipline), \(now), \(hash))
                ON CONFLICT (email) DO NOTHING RETURNING id
                """, logger: logger) { inserted = true }
            guard inserted else { return false }
            _ = try await connection.query("UPDATE invitations SET accepted_at = \(now), person_id = \(person) WHERE id = \(id)", logger: logger)
            return true
        }
        guard created else { throw AccountError.invitationUnusable }
        return try await openSession(for: person, now: now)
    }

    static func randomToken() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        return Encoding.base64URL(bytes)
    }
}

/// An invitation not yet accepted, revoked or expired (its token is never readable again).
public struct PendingInvitation: Sendable, Equatable {
    public let email: String
    public let displayName: String
    public let role: Role
    public let expiresAt: Date
}

extension AccountStore {
    /// The practice's invitations still waiting to be accepted, soonest expiry first.
    public func pendingInvitations(practice: UUID) async throws -> [PendingInvitation] {
        var result: [PendingInvitation] = []
        for try await (email, name, role, expires) in try await client.query("""
            SELECT email, display_name, role, expires_at FROM invitations
            WHERE practice_id = \(practice) AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > \(clock.now())
            ORDER BY expires_at
            """, logger: logger).decode((String, String, String, Date).self) {
            guard let role = Role(rawValue: role) else { throw CorruptRecord("An invitation has the unknown role '\(role)'.") }
            result.append(PendingInvitation(email: email, displayName: name, role: role, expiresAt: expires))
        }
        return result
    }
}
