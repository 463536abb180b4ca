/// Who acts. Practice roles see their own practice; surveyors see applications they accepted; staff and
/// administrators see everything; `system` is the scheduler firing timers.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case practiceAdmin = "practice-admin"
    case practiceContributor = "practice-contributor"
    case surveyor
    case staff
    case administrator
    case system

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The roles of a practice's own people, who belong to one practice and act only on its records.
    public static let practiceRoles: Set<Role> = [.practiceAdmin, .practiceContributor]
    /// ASTRO's roles, which see every practice.
    public static let staffRoles: Set<Role> = [.staff, .administrator]
    /// Roles that may hold a surveying discipline (staff physicists survey too).
    public static let disciplineRoles: Set<Role> = [.surveyor, .staff]

    public var isPracticeRole: Bool { Self.practiceRoles.contains(self) }
    public var isStaffRole: Bool { Self.staffRoles.contains(self) }
}

/// A surveyor's discipline; every survey team needs one of each of the first two.
public enum Discipline: String, Sendable, Codable, CaseIterable {
    case radiationOncologist = "radiation-oncologist"
    case medicalPhysicist = "medical-physicist"
}

/// One row of a lifecycle table: from which states an action leads where, who may fire it, the rules
/// that must hold, and what else happens in the same transaction.
public struct Transition<State: WorkflowState, Action: WorkflowAction>: Sendable, Equatable {
    public let from: [State]
    public let action: Action
    public let to: State
    public let roles: Set<Role>
    public let guards: [Guard]
    public let effects: [Effect]

    public init(_ from: [State], _ action: Action, _ to: State, roles: Set<Role>, guards: [Guard] = [], effects: [Effect] = []) {
        self.from = from
        self.action = action
        self.to = to
        self.roles = roles
        self.guards = guards
        self.effects = effects
    }
}

public protocol WorkflowState: RawRepresentable, CaseIterable, Hashable, Sendable, Codable where RawValue == String {}
public protocol WorkflowAction: RawRepresentable, CaseIterable, Hashable, Sendable, Codable where RawValue == String {}

/// Why a transition was refused. Each case maps to a distinct API answer (404/403/409/422).
public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownAction(String)
    case notAllowedInState(action: String, state: String)
    case roleNotAllowed(action: String, role: Role)
    case guardFailed(Guard, reason: String)
    /// A record's transition while its application is in a state that does not allow it (closed).
    case applicationNotOpen(action: String, applicationState: String)

    public var description: String {
        switch self {
        case let .applicationNotOpen(action, state): "Action '\(action)' is not possible while the application is \(state)."
        case let .unknownAction(action): "Unknown action '\(action)'."
        case let .notAllowedInState(action, state): "Action '\(action)' is not possible in state '\(state)'."
        case let .roleNotAllowed(action, role): "Role '\(role.rawValue)' may not fire '\(action)'."
        case let .guardFailed(rule, reason): "Guard '\(rule.rawValue)' refused: \(reason)"
        }
    }
}

/// A lifecycle declared as data. Code asks the table; it never sets a state the table does not list.
public struct StateMachine<State: WorkflowState, Action: WorkflowAction>: Sendable {
    public let name: String
    public let initial: State
    public let finals: Set<State>
    public let transitions: [Transition<State, Action>]
    /// For a record's machine (evidence, assignment, RFI, corrective action): the application states in
    /// which any of its transitions may fire, the scheduler's included. `nil` for the application itself.
    public let applicationStates: Set<ApplicationState>?

    public init(name: String, initial: State, finals: Set<State>, applicationStates: Set<ApplicationState>? = nil,
                transitions: [Transition<State, Action>]) {
        self.name = name
        self.initial = initial
        self.finals = finals
        self.applicationStates = applicationStates
        self.transitions = transitions
    }

    /// `.applicationNotOpen` when this record machine may not fire while its application is in `state`.
    public func checkApplication(_ state: ApplicationState, action: Action) -> Refusal? {
        guard let allowed = applicationStates, !allowed.contains(state) else { return nil }
        return .applicationNotOpen(action: action.rawValue, applicationState: state.rawValue)
    }

    public func transition(from state: State, action: Action) -> Transition<State, Action>? {
        transitions.first { $0.action == action && $0.from.contains(state) }
    }


    /// Decides whether `role` may fire `action` from `state` given `facts`; the first failing guard names itself.
    public func decide(from state: State, action: Action, role: Role, facts: GuardFacts) -> Result<Transition<State, Action>, Refusal> {
        guard let transition = transition(from: state, action: action) else {
            return .failure(.notAllowedInState(action: action.rawValue, state: state.rawValue))
        }
        guard transition.roles.contains(role) else {
            return .failure(.roleNotAllowed(action: action.rawValue, role: role))
        }
        for rule in transition.guards {
            let outcome = rule.check(facts)
            if !outcome.holds { return .failure(.guardFailed(rule, reason: outcome.reason)) }
        }
        return .success(transition)
    }

    /// The guards a transition needs, so callers load only the facts those guards read.
    public func guards(from state: State, action: Action) -> [Guard] {
        transition(from: state, action: action)?.guards ?? []
    }


    /// Every role that may fire `action` from some state: a role outside it is refused before anything
    /// about versions, states or payloads is looked at.
    public func roles(firing action: Action) -> Set<Role> {
        transitions.filter { $0.action == action }.reduce(into: Set<Role>()) { $0.formUnion($1.roles) }
    }
}
