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
    public static func isStaff(_ identity: Identity) -> Bool { [.staff, .administrator].contains(identity.role) }
}
