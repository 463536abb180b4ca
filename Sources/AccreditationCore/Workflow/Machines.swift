/// The application lifecycle, from draft to determination and through the accreditation term.
public enum ApplicationState: String, WorkflowState {
    case draft, submitted
    case intakeReview = "intake-review"
    case selfAssessment = "self-assessment"
    case documentReview = "document-review"
    case revisionsRequested = "revisions-requested"
    case readyForVisit = "ready-for-visit"
    case visitScheduled = "visit-scheduled"
    case visitCompleted = "visit-completed"
    case reportSubmitted = "report-submitted"
    case committeeReview = "committee-review"
    case accredited, provisional, denied
    case correctiveActionDue = "corrective-action-due"
    case correctiveActionReview = "corrective-action-review"
    case appealed
    case denialUpheld = "denial-upheld"
    case denialFinal = "denial-final"
    case expired, withdrawn
}

public enum ApplicationAction: String, WorkflowAction {
    case submit
    case beginIntake = "begin-intake"
    case returnToPractice = "return-to-practice"
    case acceptIntake = "accept-intake"
    case lapseSelfAssessment = "lapse-self-assessment"
    case submitSelfAssessment = "submit-self-assessment"
    case requestRevisions = "request-revisions"
    case resubmit
    case completeDocumentReview = "complete-document-review"
    case scheduleVisit = "schedule-visit"
    case completeVisit = "complete-visit"
    case submitReport = "submit-report"
    case beginCommitteeReview = "begin-committee-review"
    case accredit
    case grantProvisional = "grant-provisional"
    case deny
    case requireCorrectiveAction = "require-corrective-action"
    case submitCorrectiveAction = "submit-corrective-action"
    case appeal
    case upholdDenial = "uphold-denial"
    case returnToCommittee = "return-to-committee"
    case closeAppealWindow = "close-appeal-window"
    case fileChangeNotice = "file-change-notice"
    case remindExpiry = "remind-expiry"
    case reaccredit
    case expire
    case withdraw
}

public enum Workflows {
    static let practice: Set<Role> = [.practiceAdmin]
    static let staff: Set<Role> = [.staff, .administrator]
    static let system: Set<Role> = [.system]
    /// An application that has reached a final state is closed: nothing under it changes any more.
    static let applicationFinals: Set<ApplicationState> = [.denialUpheld, .denialFinal, .expired, .withdrawn]
    /// The states in which an application is open, and so the ones in which its records' transitions
    /// (evidence, assignments, RFIs, corrective actions, and their timers) may fire.
    public static let openApplicationStates = Set(ApplicationState.allCases).subtracting(applicationFinals)

    public static let application = StateMachine<ApplicationState, ApplicationAction>(
        name: "application",
        initial: .draft,
        finals: applicationFinals,
        transitions: [
            .init([.draft], .submit, .submitted, roles: practice),
            .init([.submitted], .beginIntake, .intakeReview, roles: staff),
            .init([.intakeReview], .returnToPractice, .draft, roles: staff),
            .init([.intakeReview], .acceptIntake, .selfAssessment, roles: staff, effects: [.openSelfAssessmentWindow]),
            .init([.selfAssessment], .lapseSelfAssessment, .withdrawn, roles: system, effects: [.closeRecords]),
            .init([.selfAssessment], .submitSelfAssessment, .documentReview, roles: practice,
                  guards: [.everyApplicableIndicatorAnswered, .levelOneEvidenceUploaded], effects: [.closeSelfAssessmentWindow]),
            .init([.documentReview], .requestRevisions, .revisionsRequested, roles: staff.union([.surveyor])),
            .init([.revisionsRequested], .resubmit, .documentReview, roles: practice,
                  guards: [.everyApplicableIndicatorAnswered, .levelOneEvidenceUploaded]),
            .init([.documentReview], .completeDocumentReview, .readyForVisit, roles: staff),
            .init([.readyForVisit], .scheduleVisit, .visitScheduled, roles: staff, guards: [.surveyTeamComplete]),
            .init([.visitScheduled], .completeVisit, .visitCompleted, roles: staff.union([.surveyor])),
            .init([.visitCompleted], .submitReport, .reportSubmitted, roles: [.surveyor], guards: [.everyApplicableIndicatorScored]),
            .init([.reportSubmitted], .beginCommitteeReview, .committeeReview, roles: staff),
            .init([.committeeReview, .correctiveActionReview], .accredit, .accredited, roles: staff,
                  guards: [.deciderIsNotSurveyor, .levelOneCompliant], effects: [.startTerm, .completeAssignments]),
            .init([.committeeReview], .grantProvisional, .provisional, roles: staff, guards: [.deciderIsNotSurveyor]),
            .init([.committeeReview, .correctiveActionReview], .deny, .denied, roles: staff,
                  guards: [.deciderIsNotSurveyor], effects: [.openAppealWindow, .completeAssignments]),
            .init([.provisional], .requireCorrectiveAction, .correctiveActionDue, roles: staff, effects: [.setCorrectiveActionDue]),
            .init([.correctiveActionDue], .submitCorrectiveAction, .correctiveActionReview, roles: practice,
                  guards: [.correctiveActionsSubmitted]),
            .init([.denied], .appeal, .appealed, roles: practice, guards: [.withinAppealWindow]),
            .init([.denied], .closeAppealWindow, .denialFinal, roles: system, guards: [.appealWindowElapsed], effects: [.closeRecords]),
            .init([.appealed], .upholdDenial, .denialUpheld, roles: staff, effects: [.closeRecords]),
            .init([.appealed], .returnToCommittee, .committeeReview, roles: staff),
            .init([.accredited], .fileChangeNotice, .accredited, roles: practice),
            .init([.accredited], .remindExpiry, .accredited, roles: system),
            .init([.accredited], .reaccredit, .accredited, roles: practice.union(staff),
                  guards: [.noReaccreditationOpen], effects: [.openReaccreditationCycle]),
            .init([.accredited], .expire, .expired, roles: system, effects: [.closeRecords]),
            .init(ApplicationState.allCases.filter { !applicationFinals.contains($0) },
                  .withdraw, .withdrawn, roles: practice.union(staff), effects: [.closeRecords]),
        ]
    )

    // MARK: - Evidence

    public enum EvidenceState: String, WorkflowState {
        case submitted, accepted
        case revisionRequested = "revision-requested"
        case superseded
    }

    public enum EvidenceAction: String, WorkflowAction {
        case accept
        case requestRevision = "request-revision"
        case supersede
    }

    public static let evidence = StateMachine<EvidenceState, EvidenceAction>(
        name: "evidence",
        initial: .submitted,
        finals: [.superseded],
        applicationStates: openApplicationStates,
        transitions: [
            .init([.submitted], .accept, .accepted, roles: staff.union([.surveyor])),
            .init([.submitted], .requestRevision, .revisionRequested, roles: staff.union([.surveyor])),
            .init([.submitted, .accepted, .revisionRequested], .supersede, .superseded, roles: [.practiceAdmin, .practiceContributor]),
        ]
    )

    // MARK: - Surveyor assignment

    public enum AssignmentState: String, WorkflowState {
        case proposed, accepted, declined, completed
    }

    public enum AssignmentAction: String, WorkflowAction {
        case accept, decline, complete
    }

    public static let assignment = StateMachine<AssignmentState, AssignmentAction>(
        name: "assignment",
        initial: .proposed,
        finals: [.declined, .completed],
        applicationStates: openApplicationStates,
        transitions: [
            // Staff members with a surveying discipline can serve on a team too.
            .init([.proposed], .accept, .accepted, roles: [.surveyor, .staff], guards: [.attestationSigned, .noConflictOfInterest]),
            .init([.proposed], .decline, .declined, roles: [.surveyor, .staff]),
            // Completed by the determination (an effect), not by hand mid-survey.
            .init([.accepted], .complete, .completed, roles: system),
        ]
    )

    // MARK: - Requests for information

    public enum RFIState: String, WorkflowState {
        case open, answered, closed, overdue
    }

    public enum RFIAction: String, WorkflowAction {
        case answer, close
        case markOverdue = "mark-overdue"
    }

    public static let rfi = StateMachine<RFIState, RFIAction>(
        name: "rfi",
        initial: .open,
        finals: [.closed],
        applicationStates: openApplicationStates,
        transitions: [
            .init([.open, .overdue], .answer, .answered, roles: [.practiceAdmin, .practiceContributor]),
            .init([.answered], .close, .closed, roles: staff.union([.surveyor])),
            .init([.open], .markOverdue, .overdue, roles: system),
        ]
    )

    // MARK: - Corrective actions

    public enum CorrectiveActionState: String, WorkflowState {
        case open, submitted, accepted, rejected, overdue
    }

    public enum CorrectiveActionAction: String, WorkflowAction {
        case submit, accept, reject
        case markOverdue = "mark-overdue"
    }

    public static let correctiveAction = StateMachine<CorrectiveActionState, CorrectiveActionAction>(
        name: "corrective-action",
        initial: .open,
        finals: [.accepted],
        applicationStates: openApplicationStates,
        transitions: [
            .init([.open, .rejected, .overdue], .submit, .submitted, roles: practice),
            .init([.submitted], .accept, .accepted, roles: staff),
            .init([.submitted], .reject, .rejected, roles: staff),
            .init([.open, .rejected], .markOverdue, .overdue, roles: system),
        ]
    )
}
