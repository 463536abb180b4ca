/// Who acts next on an application, by its state: the line a practice's home page shows beside each
/// application. `[design]`: this service's reading of the public APEx process, not an ASTRO text.
public struct NextStep: Sendable, Equatable {
    /// Who must act: "Your practice", "ASTRO staff", "The survey team", or nobody for a closed application.
    public let who: Party
    /// What they must do, as a short sentence.
    public let what: String

    public enum Party: String, Sendable, Equatable {
        case practice = "Your practice"
        case staff = "ASTRO staff"
        case surveyors = "The survey team"
        case nobody = "Nobody"
    }

    public static func after(_ state: ApplicationState) -> NextStep {
        switch state {
        case .draft: .init(who: .practice, what: "Submit the application.")
        case .submitted, .intakeReview: .init(who: .staff, what: "Review the application at intake.")
        case .selfAssessment: .init(who: .practice, what: "Answer every applicable indicator, attach evidence, then submit the self-assessment.")
        case .documentReview: .init(who: .surveyors, what: "Review the self-assessment and its evidence.")
        case .revisionsRequested: .init(who: .practice, what: "Revise the answers or evidence asked for, then resubmit.")
        case .readyForVisit: .init(who: .staff, what: "Schedule the site visit.")
        case .visitScheduled: .init(who: .surveyors, what: "Carry out the site visit.")
        case .visitCompleted: .init(who: .surveyors, what: "Score every indicator and submit the report.")
        case .reportSubmitted, .committeeReview: .init(who: .staff, what: "Decide on accreditation.")
        case .accredited: .init(who: .practice, what: "Keep the programme current; report changes and renew before the term ends.")
        case .provisional: .init(who: .staff, what: "Set the corrective actions required.")
        case .correctiveActionDue: .init(who: .practice, what: "Answer every corrective action, then submit them.")
        case .correctiveActionReview: .init(who: .staff, what: "Review the corrective actions.")
        case .denied: .init(who: .practice, what: "Appeal within the appeal window, if you wish to.")
        case .appealed: .init(who: .staff, what: "Decide the appeal.")
        case .denialUpheld, .denialFinal, .expired, .withdrawn: .init(who: .nobody, what: "Nothing: the application is closed.")
        }
    }
}
