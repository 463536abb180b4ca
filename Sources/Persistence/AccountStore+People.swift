public import AccreditationCore
public import Foundation
import Logging
import PostgresNIO

/// A person's account as staff manage it: the directory's view of the person and whether it is deactivated.
/// Reads through to the person's fields (`account.role`, `account.email`, …).
@dynamicMemberLookup
public struct PersonAccount: Sendable, Equatable {
    public let person: PersonView
    public let deactivatedAt: Date?

    public subscript<T>(dynamicMember field: KeyPath<PersonView, T>) -> T { person[keyPath: field] }
}

/// What one deactivation ended, for the answer and the record.
public struct Offboarding: Sendable, Equatable {
    public let person: PersonAccount
    public let sessionsEnded: Int
    public let invitationsRevoked: Int
}

/// Offboarding and role changes. Both keep the person's row and everything that refers to it (history,
/// responses, scores, uploads), end their sessions and API tokens, revoke the invitations they sent that
/// are still open, and are written to `person_events`. Who may do it is `AccessPolicy.management`'s
/// answer, asked again here against the roles stored now.
extension AccountStore {
    /// Things done to an account, as `person_events.action` names them.
    enum PersonEvent: String {
        case deactivated
        case roleChanged = "role-changed"
        case passwordSet = "password-set"
    }

    public func account(_ person: UUID) async throws -> PersonAccount {
        for try await row in try await client.query("""
            SELECT id, email, display_name, role, practice_id, discipline, deactivated_at FROM people WHERE id = \(person)
            """, logger: logger).decode((UUID, String, String, String, UUID?, String?, Date?).self) {
            if let account = Self.account(row) { return account }
        }
        throw WorkflowError.notFound("Person \(person.uuidString.lowercased())")
    }

    /// When each of `people` was deactivated; the active ones are absent.
    public func deactivations(of people: [UUID]) async throws -> [UUID: Date] {
        guard !people.isEmpty else { return [:] }
        var result: [UUID: Date] = [:]
        for try await (id, at) in try await client.query("""
            SELECT id, deactivated_at FROM people WHERE id = ANY(\(people)) AND deactivated_at IS NOT NULL
            """, logger: logger).decode((UUID, Date).self) { result[id] = at }
        return result
    }

    /// Deactivates a person: they can no longer sign in (the answer is that of a wrong password), every
    /// session and API token of theirs ends, and the invitations they sent that are still open are revoked.
    /// Their row and everything that refers to it stay. A person already deactivated is refused (409).
    public func deactivate(_ person: UUID, by actor: Identity, reason: String) async throws -> Offboarding {
        let reason = try Self.reason(reason, required: true)
        let now = clock.now()
        let (sessions, invitations) = try await client.transaction(logger: logger) { connection in
            let target = try await lockForManagement(person, by: actor, action: "deactivate", on: connection)
            guard target.deactivatedAt == nil else {
                throw WorkflowError.refused(.notAllowedInState(action: "deactivate", state: "deactivated"))
            }
            _ = try await connection.query("""
                UPDATE people SET deactivated_at = \(now), deactivated_by = \(actor.personID) WHERE id = \(person)
                """, logger: logger).collect()
            let sessions = try await Self.endSessions(of: person, keeping: nil, now: now, on: connection, logger: logger)
            let invitations = try await Self.revokeInvitations(sentBy: person, now: now, on: connection, logger: logger)
            try await Self.record(.deactivated, person: person, actor: (actor.personID, actor.role.rawValue), now: now,
                                  detail: ["sessions_ended": sessions, "invitations_revoked": invitations], reason: reason,
                                  on: connection, logger: logger)
            return (sessions, invitations)
        }
        logger.notice("Person deactivated", metadata: ["person": "\(person)", "by": "\(actor.personID)"])
        return Offboarding(person: try await account(person), sessionsEnded: sessions, invitationsRevoked: invitations)
    }

    /// Changes a person's role, practice and discipline together, by `RoleAssignment`'s rules (the ones
    /// invitations follow). The person's sessions and API tokens end, so nothing acts with the old role or
    /// for the old practice, and the invitations they sent that are still open are revoked (they were sent
    /// with the old authority). A discipline cannot change while the person has proposed or accepted
    /// assignments: the survey team was composed around it. Asking for what is already stored changes nothing.
    public func changeRole(of person: UUID, to assignment: RoleAssignment, by actor: Identity, reason: String) async throws -> PersonAccount {
        if let problem = assignment.problem {
            if !RoleAssignment.assignable.contains(assignment.role) {
                throw WorkflowError.refused(.roleNotAllowed(action: "change-role-to-\(assignment.role.rawValue)", role: actor.role))
            }
            throw WorkflowError.invalid(problem)
        }
        let reason = try Self.reason(reason, required: false)
        let now = clock.now()
        let changed = try await client.transaction(logger: logger) { connection in
            let target = try await lockForManagement(person, by: actor, action: "change-role", on: connection)
            guard target.deactivatedAt == nil else {
                throw WorkflowError.refused(.notAllowedInState(action: "change-role", state: "deactivated"))
            }
            guard AccessPolicy.canAssign(assignment.role, as: actor) else {
                throw WorkflowError.refused(.roleNotAllowed(action: "change-role-to-\(assignment.role.rawValue)", role: actor.role))
            }
            if target.role == assignment.role && target.practiceID == assignment.practiceID && target.discipline == assignment.discipline {
                return false
            }
            if let practice = assignment.practiceID {
                var exists = false
                for try await _ in try await connection.query("SELECT 1 FROM practices WHERE id = \(practice)", logger: logger) { exists = true }
                guard exists else { throw WorkflowError.notFound("Practice \(practice.uuidString.lowercased())") }
            }
            if target.discipline != assignment.discipline {
                for try await open in try await connection.query("""
                    SELECT count(*)::int FROM assignments WHERE surveyor_id = \(person) AND state IN ('proposed', 'accepted')
                    """, logger: logger).decode(Int.self) where open > 0 {
                    throw WorkflowError.invalid("This person has \(open) proposed or accepted assignment(s) as a surveyor; "
                        + "complete or replace them before changing their discipline or role.")
                }
            }
            _ = try await connection.query("""
                UPDATE people SET role = \(assignment.role.rawValue), practice_id = \(assignment.practiceID), discipline = \(assignment.discipline?.rawValue)
                WHERE id = \(person)
                """, logger: logger).collect()
            let sessions = try await Self.endSessions(of: person, keeping: nil, now: now, on: connection, logger: logger)
            let invitations = try await Self.revokeInvitations(sentBy: person, now: now, on: connection, logger: logger)
            try await Self.record(.roleChanged, person: person, actor: (actor.personID, actor.role.rawValue), now: now, detail: [
                "from": Self.json(role: target.role, practice: target.practiceID, discipline: target.discipline),
                "to": Self.json(role: assignment.role, practice: assignment.practiceID, discipline: assignment.discipline),
                "sessions_ended": sessions, "invitations_revoked": invitations,
            ], reason: reason, on: connection, logger: logger)
            return true
        }
        if changed { logger.notice("Role changed", metadata: ["person": "\(person)", "by": "\(actor.personID)", "role": "\(assignment.role.rawValue)"]) }
        return try await account(person)
    }

    // MARK: -

    /// Locks the target's and the caller's rows (in id order, so two staff acting on each other cannot
    /// deadlock) and asks the policy with the roles stored now. A caller deactivated meanwhile is signed
    /// out (so two staff cannot deactivate each other at the same moment and leave nobody).
    private func lockForManagement(_ person: UUID, by actor: Identity, action: String, on connection: PostgresConnection) async throws -> PersonAccount {
        var rows: [UUID: PersonAccount] = [:]
        for try await row in try await connection.query("""
            SELECT id, email, display_name, role, practice_id, discipline, deactivated_at FROM people
            WHERE id = ANY(\([person, actor.personID])) ORDER BY id FOR UPDATE
            """, logger: logger).decode((UUID, String, String, String, UUID?, String?, Date?).self) {
            if let account = Self.account(row) { rows[account.id] = account }
        }
        guard let caller = rows[actor.personID], caller.deactivatedAt == nil else { throw AccountError.unauthenticated }
        let current = Identity(personID: caller.id, role: caller.role, practiceID: caller.practiceID, displayName: caller.displayName, email: caller.email)
        guard AccessPolicy.canManagePeople(current) else { throw WorkflowError.refused(.roleNotAllowed(action: action, role: current.role)) }
        guard let target = rows[person] else { throw WorkflowError.notFound("Person \(person.uuidString.lowercased())") }
        switch AccessPolicy.management(of: target.id, role: target.role, as: current) {
        case .allowed: return target
        case .roleNotAllowed: throw WorkflowError.refused(.roleNotAllowed(action: "\(action)-\(target.role.rawValue)", role: current.role))
        case .selfNotAllowed: throw WorkflowError.invalid("Nobody can \(action.replacingOccurrences(of: "-", with: " ")) themselves; ask another staff member.")
        }
    }

    private static func account(_ row: (UUID, String, String, String, UUID?, String?, Date?)) -> PersonAccount? {
        guard let role = Role(rawValue: row.3) else { return nil }
        return PersonAccount(person: PersonView(id: row.0, email: row.1, displayName: row.2, role: role, practiceID: row.4,
                                                discipline: row.5.flatMap(Discipline.init(rawValue:))),
                             deactivatedAt: row.6)
    }

    private static func json(role: Role, practice: UUID?, discipline: Discipline?) -> [String: Any] {
        ["role": role.rawValue, "practice_id": practice.map { $0.uuidString.lowercased() } ?? NSNull(), "discipline": discipline?.rawValue ?? NSNull()]
    }

    private static func reason(_ text: String, required: Bool) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if required && trimmed.isEmpty { throw WorkflowError.invalid("Give a reason; it is kept with the person's record.") }
        guard trimmed.count <= 500 else { throw WorkflowError.invalid("A reason has at most 500 characters.") }
        // Control characters other than line breaks and tabs have no place in a record (and NUL none in PostgreSQL).
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !["\n", "\t", "\r"].contains($0) }) else {
            throw WorkflowError.invalid("A reason holds a control character.")
        }
        return trimmed
    }

    /// Ends the person's sessions and API tokens but `keeping` (a token's SHA-256); returns how many.
    static func endSessions(of person: UUID, keeping kept: String?, now: Date, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("""
            UPDATE sessions SET revoked_at = \(now)
            WHERE person_id = \(person) AND revoked_at IS NULL AND expires_at > \(now) AND (\(kept)::text IS NULL OR token_hash <> \(kept))
            RETURNING 1
            """, logger: logger).collect().count
    }

    /// Revokes the invitations the person sent that are neither accepted, revoked nor expired; returns how many.
    static func revokeInvitations(sentBy person: UUID, now: Date, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("""
            UPDATE invitations SET revoked_at = \(now)
            WHERE invited_by = \(person) AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > \(now)
            RETURNING 1
            """, logger: logger).collect().count
    }

    /// Appends to `person_events`. `actor` nil: an operator on the command line.
    static func record(_ event: PersonEvent, person: UUID, actor: (id: UUID, role: String)?, now: Date, detail: [String: Any],
                       reason: String, on connection: PostgresConnection, logger: Logger) async throws {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: detail, options: [.sortedKeys]), as: UTF8.self)
        _ = try await connection.query("""
            INSERT INTO person_events (person_id, occurred_at, actor_id, actor_role, action, detail, reason)
            VALUES (\(person), \(now), \(actor?.id), \(actor?.role ?? "operator"), \(event.rawValue), \(json)::jsonb, \(reason))
            """, logger: logger).collect()
    }
}
