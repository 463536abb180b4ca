public import Foundation

/// Who may see an application, decided in one place and asked by every operation. Deny by default:
/// staff and administrators see every application, practice people their practice's, surveyors those
/// they accepted an assignment on. Anything else is answered as if the application did not exist.
public enum AccessPolicy {
    public struct ApplicationFacts: Sendable, Equatable {
        public let practiceID: UUID
        /// Surveyors (or staff serving as surveyors) whose assignment is accepted or completed.
        public let surveyors: Set<UUID>

        public init(practiceID: UUID, surveyors: Set<UUID>) {
            self.practiceID = practiceID
            self.surveyors = surveyors
        }
    }

    public static func canView(_ application: ApplicationFacts, as identity: Identity) -> Bool {
        switch identity.role {
        case .staff, .administrator: true
        case .practiceAdmin, .practiceContributor: identity.practiceID == application.practiceID
        case .surveyor: application.surveyors.contains(identity.personID)
        case .system: false
        }
    }
}

extension AccessPolicy {
    /// Which applications a person may list: the same rule as `canView`, in a form a query can use.
    public enum ApplicationScope: Sendable, Equatable {
        case all
        case practice(UUID)
        case surveyor(UUID)
        case none
    }

    public static func listable(as identity: Identity) -> ApplicationScope {
        switch identity.role {
        case .staff, .administrator: .all
        case .practiceAdmin, .practiceContributor: identity.practiceID.map(ApplicationScope.practice) ?? .none
        case .surveyor: .surveyor(identity.personID)
        case .system: .none
        }
    }

    /// Practices a person may see: staff all, practice people their own, surveyors none (they see the
    /// applications they survey, not practice records).
    public static func canView(practice: UUID, as identity: Identity) -> Bool {
        switch identity.role {
        case .staff, .administrator: true
        case .practiceAdmin, .practiceContributor: identity.practiceID == practice
        case .surveyor, .system: false
        }
    }

    /// Who may change a practice's record (facilities, RPT scope): staff, and the practice's admins.
    public static func canEdit(practice: UUID, as identity: Identity) -> Bool {
        switch identity.role {
        case .staff, .administrator: true
        case .practiceAdmin: identity.practiceID == practice
        default: false
        }
    }

    /// Staff-only views: pipeline counts, expiring terms, overdue items, people directory.
    public static func isStaff(_ identity: Identity) -> Bool { identity.role.isStaffRole }

    /// Which practices' records (practices, people) a person may list: all, one, or none.
    public enum PracticeScope: Sendable, Equatable {
        case all
        case practice(UUID)
        case none
    }

    /// Staff list every practice's records, practice people their own, everyone else none.
    public static func practiceScope(as identity: Identity) -> PracticeScope {
        if identity.role.isStaffRole { return .all }
        if identity.role.isPracticeRole, let practice = identity.practiceID { return .practice(practice) }
        return .none
    }

    /// Who may invite someone into `role` (for `practice`): staff any assignable role; a practice admin
    /// admins and contributors of their own practice; nobody else anyone.
    public static func canInvite(_ role: Role, into practice: UUID?, as identity: Identity) -> Bool {
        if identity.role.isStaffRole { return RoleAssignment.assignable.contains(role) }
        if identity.role == .practiceAdmin { return role.isPracticeRole && practice != nil && practice == identity.practiceID }
        return false
    }

    /// Whether an invitation into `practice` is answered as if the practice did not exist: a practice
    /// admin inviting into another practice learns nothing about it (deny by default across tenants);
    /// other roles are told by `canInvite` whether they may invite at all.
    public static func hidesPractice(_ practice: UUID, fromInviter identity: Identity) -> Bool {
        identity.role == .practiceAdmin && !canView(practice: practice, as: identity)
    }

    /// Who may declare a surveyor's affiliations: staff, and the surveyor about themselves.
    public static func canDeclareAffiliations(of person: UUID, as identity: Identity) -> Bool {
        identity.role.isStaffRole || (identity.role == .surveyor && identity.personID == person)
    }

    /// Whether starting an application for `practice` goes on to the store: a practice the caller can
    /// see does; another practice is "not found" for practice people (deny by default across tenants);
    /// a role outside every practice that may never start one (a surveyor) goes on and is told 403.
    public static func mayReachPractice(_ practice: UUID, toCreateApplicationAs identity: Identity) -> Bool {
        canView(practice: practice, as: identity)
            || (!identity.role.isPracticeRole && !RecordActions.applicationCreators.contains(identity.role))
    }
}

extension AccessPolicy {
    /// What the policy says to one person managing another (deactivating them, changing their role or
    /// practice).
    public enum PersonManagement: Sendable, Equatable {
        case allowed
        /// The caller's role may not manage people, or not this person's role.
        case roleNotAllowed
        /// Nobody deactivates themselves or changes their own role: another staff member does it, so
        /// the last active staff member cannot lock everyone out by mistake.
        case selfNotAllowed
    }

    /// Who may manage people at all: staff and administrators. Asked before any lookup, so other roles
    /// learn nothing about who exists.
    public static func canManagePeople(_ identity: Identity) -> Bool { isStaff(identity) }

    /// Staff manage practice people, surveyors and other staff; only an administrator manages an
    /// administrator; nobody manages themselves.
    public static func management(of person: UUID, role: Role, as identity: Identity) -> PersonManagement {
        guard canManagePeople(identity), role != .system else { return .roleNotAllowed }
        if role == .administrator && identity.role != .administrator { return .roleNotAllowed }
        if person == identity.personID { return .selfNotAllowed }
        return .allowed
    }

    /// The roles a person managing people may give: `RoleAssignment.assignable` (never administrator,
    /// which is made on the command line).
    public static func canAssign(_ role: Role, as identity: Identity) -> Bool {
        canManagePeople(identity) && RoleAssignment.assignable.contains(role)
    }
}
