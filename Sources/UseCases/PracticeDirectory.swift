public import AccreditationCore
import Foundation
public import Persistence

/// A practice's own record as its people see it: facilities, the declared RPT scope, and what that
/// scope makes applicable in the newest published criteria release.
public struct PracticeProfile: Sendable {
    public let practice: PracticeView
    /// The newest published release and each of its indicators with whether it applies and why; nil
    /// when no release is published yet.
    public let criteria: (release: CatalogRelease, decisions: [ApplicabilityDecision])?
    /// Whether this person may change the scope (the access policy's answer).
    public let canEdit: Bool
}

/// The people of a practice and its open invitations.
public struct PracticePeople: Sendable {
    public let people: [PersonView]
    public let pending: [PendingInvitation]
    /// The roles this person may invite into the practice (the access policy's answer), in a fixed order.
    public let invitableRoles: [Role]
}

/// Queries and commands on the caller's own practice. A person without a practice (staff, surveyors)
/// has no practice pages: `WorkflowError.notFound`.
public struct PracticeDirectory: Sendable {
    public let workflow: WorkflowStore
    public let accounts: AccountStore

    public init(workflow: WorkflowStore, accounts: AccountStore) {
        self.workflow = workflow
        self.accounts = accounts
    }

    func ownPractice(_ identity: Identity) throws -> UUID {
        guard let practice = identity.practiceID, AccessPolicy.canView(practice: practice, as: identity) else {
            throw WorkflowError.notFound("Practice")
        }
        return practice
    }

    /// The caller's practice with its applicable criteria.
    public func profile(as identity: Identity) async throws -> PracticeProfile {
        let id = try ownPractice(identity)
        let practice = try await workflow.practice(id)
        var criteria: (CatalogRelease, [ApplicabilityDecision])?
        if let releaseID = try await workflow.newestPublishedRelease() {
            let release = try await workflow.release(releaseID)
            criteria = (release, release.applicability(for: practice.record.scope))
        }
        return PracticeProfile(practice: practice, criteria: criteria, canEdit: AccessPolicy.canEdit(practice: id, as: identity))
    }

    /// Replaces the practice's declared scope. Applications already started keep the scope they were
    /// made with. Throws `WorkflowError.refused` when the caller's role may not edit the practice.
    public func updateScope(_ scope: PracticeScope, as identity: Identity) async throws {
        let id = try ownPractice(identity)
        guard AccessPolicy.canEdit(practice: id, as: identity) else {
            throw WorkflowError.refused(.roleNotAllowed(action: "edit-practice", role: identity.role))
        }
        try await workflow.updateScope(practice: id, scope: scope)
    }

    /// Adds a satellite facility to the caller's practice. Throws `WorkflowError.refused` when the
    /// caller's role may not edit the practice.
    public func addFacility(_ facility: FacilityRecord, as identity: Identity) async throws {
        let id = try ownPractice(identity)
        guard AccessPolicy.canEdit(practice: id, as: identity) else {
            throw WorkflowError.refused(.roleNotAllowed(action: "edit-practice", role: identity.role))
        }
        _ = try await workflow.addFacility(practice: id, facility)
    }

    /// The practice's people and pending invitations.
    public func people(as identity: Identity) async throws -> PracticePeople {
        let id = try ownPractice(identity)
        var people: [PersonView] = []
        var cursor: (String, UUID)?
        repeat {
            let page = try await workflow.people(practice: id, role: nil, after: cursor, limit: 200)
            people += page
            cursor = page.count == 200 ? page.last.map { ($0.email, $0.id) } : nil
        } while cursor != nil
        let roles = [Role.practiceContributor, .practiceAdmin].filter { AccessPolicy.canInvite($0, into: id, as: identity) }
        return PracticePeople(people: people, pending: roles.isEmpty ? [] : try await accounts.pendingInvitations(practice: id),
                              invitableRoles: roles)
    }

    /// Invites a person into the caller's practice. Returns the invitation with its one-time token (only
    /// its hash is stored; the caller passes the link on). Throws `WorkflowError` when the role may not
    /// be invited by this person or the address or name is not acceptable.
    public func invite(email: String, displayName: String, role: Role, as identity: Identity) async throws -> Invitation {
        let id = try ownPractice(identity)
        let name = try BoundedText(displayName, field: "display_name", max: 200)
        return try await accounts.invite(InvitationRequest(email: email, displayName: name.value, role: role, practiceID: id, discipline: nil),
                                         by: identity)
    }
}
