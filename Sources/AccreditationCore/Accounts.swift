/// Rules for passwords and sign-in, kept apart from how they are stored.
public enum PasswordPolicy {
    public static let minimumLength = 12
    public static let maximumLength = 256

    /// nil when acceptable, else why not, in words a user can act on.
    public static func problem(with password: String) -> String? {
        if password.count < minimumLength { return "A password has at least \(minimumLength) characters." }
        if password.count > maximumLength { return "A password has at most \(maximumLength) characters." }
        if Set(password).count < 4 { return "A password needs more variety than \(Set(password).count) different characters." }
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

    public var actor: Actor { Actor(id: personID, role: role) }
}

public import Foundation
