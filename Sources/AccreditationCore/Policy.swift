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
