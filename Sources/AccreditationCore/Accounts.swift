/// Rules for passwords and sign-in, kept apart from how they are stored.
public enum PasswordPolicy {
    public static let minimumLength = 12
    public static let maximumLength = 256

    /// nil when acceptable, else why not, in words a user can act on.
    public static func problem(with password: String) -> String? {
        if password.count < minimumLength { return "A password has at least \(minimumLength) characters." }
        if password.count > maximumLength { return "A password has at most \(maximumLength) characters." }
        if Set(password).count < 4 { return "A password needs at least 4 different characters; a short sentence works well." }
        return nil
    }
}

/// Who a valid bearer token belongs to.
public struct Identity: Sendable, Equatable {
    public let personID: UUID
    public let role: Role
    public let practiceID: UUID?
    public let displayName: String
    public let email: String

    public init(personID: UUID, role: Role, practiceID: UUID?, displayName: String, email: String) {
        self.personID = personID
        self.role = role
        self.practiceID = practiceID
        self.displayName = displayName
        self.email = email
    }

    public var actor: WorkflowActor { WorkflowActor(id: personID, role: role) }
}

/// A role with what goes with it: practice admins and contributors belong to a practice, nobody else
/// does; a surveyor has a surveying discipline, staff may have one (a staff physicist who also surveys),
/// nobody else has one. Invitations and role changes are checked by these rules, and the database holds
/// the same ones as CHECK constraints.
public struct RoleAssignment: Sendable, Equatable {
    public var role: Role
    public var practiceID: UUID?
    public var discipline: Discipline?

    public init(role: Role, practiceID: UUID?, discipline: Discipline?) {
        self.role = role
        self.practiceID = practiceID
        self.discipline = discipline
    }

    /// Roles a person can be given through the API (invited or changed to). Administrators are made
    /// on the command line only; `system` is nobody's role.
    public static let assignable: Set<Role> = [.practiceAdmin, .practiceContributor, .surveyor, .staff]

    /// nil when consistent, else why not. Whether the caller may assign the role is `AccessPolicy`'s
    /// question, not this one.
    public var problem: String? {
        if !Self.assignable.contains(role) {
            return "Role '\(role.rawValue)' cannot be given here; administrators are made on the command line."
        }
        return consistencyProblem
    }

    /// nil when the role, practice and discipline fit together (any role but `system`, administrators
    /// included: the command line makes those), else why not.
    public var consistencyProblem: String? {
        if role == .system { return "'system' is not a person's role." }
        if role.isPracticeRole != (practiceID != nil) {
            return "Practice admins and contributors belong to a practice; other roles do not."
        }
        if role == .surveyor && discipline == nil {
            return "A surveyor has a discipline: radiation-oncologist or medical-physicist."
        }
        if discipline != nil && !Role.disciplineRoles.contains(role) {
            return "Only surveyors and staff have a surveying discipline."
        }
        return nil
    }
}

public import Foundation
