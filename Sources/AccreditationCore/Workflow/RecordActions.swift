/// The work on an application that is not a transition of one of its lifecycles: answering the
/// self-assessment, adding and linking evidence, proposing surveyors, scoring, opening requests for
/// information. Each is a row of `RecordActions.table`, beside the transition tables, and the stores
/// ask `RecordActions.decide` inside their transaction on the facts they locked.
public enum RecordAction: String, Sendable, CaseIterable, Codable {
    case respond
    case uploadEvidence = "upload-evidence"
    case linkEvidence = "link-evidence"
    case proposeAssignment = "propose-assignment"
    case score
    case openRFI = "open-rfi"

    /// How the action reads in a refusal: "Cannot answer the self-assessment while …".
    public var phrase: String {
        switch self {
        case .respond: "answer the self-assessment"
        case .uploadEvidence: "add evidence"
        case .linkEvidence: "link evidence"
        case .proposeAssignment: "propose a surveyor"
        case .score: "score"
        case .openRFI: "open a request for information"
        }
    }
}

/// Whose application a record action may touch, beyond seeing it (`AccessPolicy.canView`).
public enum TenantRule: String, Sendable, Codable {
    /// People of the application's own practice.
    case ownPractice = "own practice"
    /// ASTRO staff and administrators (any practice).
    case staff
    /// Staff, or a surveyor with an accepted assignment on the application (checked by the store, which
    /// holds that fact).
    case staffOrAcceptedSurveyor = "staff or accepted surveyor"
    /// A surveyor (or a staff member serving as one) with an accepted assignment on the application.
    case acceptedSurveyor = "accepted surveyor"
}

/// One row: who may take the action, in which application states, on whose applications.
public struct RecordActionRule: Sendable, Equatable {
    public let action: RecordAction
    public let roles: Set<Role>
    public let applicationStates: Set<ApplicationState>
    public let tenant: TenantRule
}

/// The answer of the record-action decision function (transitions have `StateMachine.decide`). The API
/// maps it to 404 / 403 / the state refusal; a page shows a button only for `.allowed`.
public enum Decision: Sendable, Equatable {
    case allowed
    /// The caller may not see the application: answered as if it did not exist (404).
    case hidden
    /// The caller sees it, but their role may not do this (403), with the reason.
    case forbidden(String)
    /// Not possible in the application's current state, with the reason.
    case wrongState(String)
}

public enum RecordActions {
    static let practice: Set<Role> = [.practiceAdmin, .practiceContributor]
    static let staff: Set<Role> = [.staff, .administrator]

    /// While the practice may add or link evidence: from the self-assessment until the visit's report,
    /// and again while corrective action is due.
    public static let evidenceStates: Set<ApplicationState> = [.selfAssessment, .documentReview, .revisionsRequested, .readyForVisit,
                                                               .visitScheduled, .visitCompleted, .correctiveActionDue]

    /// Who may start an application (for their own practice, or staff for any).
    public static let applicationCreators: Set<Role> = [.practiceAdmin, .staff, .administrator]

    /// The table. `[design]`: the states are this service's reading of the public APEx process.
    public static let table: [RecordActionRule] = [
        .init(action: .respond, roles: practice, applicationStates: [.selfAssessment, .revisionsRequested], tenant: .ownPractice),
        .init(action: .uploadEvidence, roles: practice, applicationStates: evidenceStates, tenant: .ownPractice),
        .init(action: .linkEvidence, roles: practice, applicationStates: evidenceStates, tenant: .ownPractice),
        .init(action: .proposeAssignment, roles: staff,
              applicationStates: [.selfAssessment, .documentReview, .revisionsRequested, .readyForVisit, .visitScheduled], tenant: .staff),
        .init(action: .score, roles: [.surveyor, .staff],
              applicationStates: [.documentReview, .readyForVisit, .visitScheduled, .visitCompleted, .correctiveActionReview],
              tenant: .acceptedSurveyor),
        // Questions belong to a survey in progress, not to a closed or not-yet-accepted application.
        .init(action: .openRFI, roles: staff.union([.surveyor]),
              applicationStates: Workflows.openApplicationStates.subtracting([.draft, .submitted]), tenant: .staffOrAcceptedSurveyor),
    ]

    /// The row of `action` (every action has exactly one; a test holds the table to that).
    public static func rule(_ action: RecordAction) -> RecordActionRule {
        table.first { $0.action == action }!
    }

    /// Whether `role` may take `action` in some state: asked before anything is read, so a role that may
    /// never act is told so first.
    public static func mayEver(_ action: RecordAction, role: Role) -> Bool { rule(action).roles.contains(role) }

    /// Whether `role` may take `action` on an application in `state` that the caller can see (`visible`).
    /// Order: not visible is hidden, then the role, then the state, so a role that may never act is told
    /// so whatever the state. The tenant rule beyond visibility (an accepted assignment) is the store's.
    public static func decide(_ action: RecordAction, role: Role, applicationState state: ApplicationState, visible: Bool = true) -> Decision {
        guard visible else { return .hidden }
        guard mayEver(action, role: role) else { return .forbidden("Role '\(role.rawValue)' may not \(action.rawValue).") }
        guard rule(action).applicationStates.contains(state) else {
            return .wrongState("Cannot \(action.phrase) while the application is \(state.rawValue).")
        }
        return .allowed
    }
}
