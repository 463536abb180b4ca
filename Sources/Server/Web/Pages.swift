import AccreditationCore
import Foundation
import Persistence
import UseCases

// View models: one per page, plain values only (strings, flags, arrays), built from the use cases' read
// models. Templates escape every value (`{{name}}`); nothing here is pre-rendered HTML.

/// What the layout shows around every page: who is signed in and the sign-out form's token.
struct Chrome: Sendable, Equatable {
    var signedIn = false
    var personName = ""
    var roleLabel = ""
    var role: Role?
    var csrf = ""
    var homePath = WebRoute.home.path
    var signOutPath = WebRoute.signOut.path
    var passwordPath = WebRoute.changePassword.path
    var practicePath = WebRoute.practice.path
    var peoplePath = WebRoute.people.path
    /// People of a practice get the practice pages in the navigation.
    var hasPractice = false
    var stylesheet = WebRoute.stylesheet.path
    var script = WebRoute.script.path

    static let signedOut = Chrome()

    init() {}

    init(identity: Identity, sessionToken: String) {
        signedIn = true
        personName = identity.displayName
        roleLabel = Labels.role(identity.role)
        role = identity.role
        hasPractice = identity.practiceID != nil
        csrf = CSRFToken.of(session: sessionToken)
    }
}

/// A message at the top of a page after a redirect or a refusal.
struct Notice: Sendable, Equatable {
    var text: String
    var isError: Bool
}

struct SignInPage: Sendable, Equatable {
    var chrome = Chrome.signedOut
    var title = "Sign in"
    var action = WebRoute.signIn.path
    var email = ""
    var error: String?
    var notice: String?
}

struct AcceptInvitationPage: Sendable, Equatable {
    var chrome = Chrome.signedOut
    var title = "Accept your invitation"
    var action = WebRoute.acceptInvitation.path
    var token = ""
    var error: String?
    var minimumLength = PasswordPolicy.minimumLength
}

struct ChangePasswordPage: Sendable, Equatable {
    var chrome: Chrome
    var title = "Change your password"
    var action = WebRoute.changePassword.path
    var error: String?
    var notice: String?
    var minimumLength = PasswordPolicy.minimumLength
}

struct ErrorPage: Sendable, Equatable {
    var chrome: Chrome
    var title: String
    var status: Int
    var message: String
}

struct HomePage: Sendable, Equatable {
    struct Line: Sendable, Equatable {
        var path: String
        var practiceName: String
        var started: String
        var pathwayLabel: String
        var stateLabel: String
        var nextWho: String
        var nextWhat: String
        var deadlines: [DeadlineLine]
        var hasDeadlines: Bool
        var progress: ProgressLine
        var hasIndicators: Bool
        var domains: [DomainProgress]
    }

    struct DomainProgress: Sendable, Equatable {
        var code: String
        var title: String
        var progress: ProgressLine
    }

    var chrome: Chrome
    var title = "Your applications"
    var notice: Notice?
    var applications: [Line]
    var isEmpty: Bool
    var canStart: Bool
    var newApplicationPath = WebRoute.newApplication.path
}

struct DeadlineLine: Sendable, Equatable {
    var what: String
    var due: String
    var dueISO: String
}

/// Counts and percentages for `<progress>` bars (the numbers are also written out, for screen readers
/// and print).
struct ProgressLine: Sendable, Equatable {
    var answered: Int
    var withEvidence: Int
    var total: Int

    init(_ progress: UseCases.Progress) {
        answered = progress.answered
        withEvidence = progress.withEvidence
        total = progress.total
    }
}

struct NewApplicationPage: Sendable, Equatable {
    struct Option: Sendable, Equatable {
        var value: String
        var label: String
        var selected: Bool
    }

    var chrome: Chrome
    var title = "Start an application"
    var action = WebRoute.newApplication.path
    var pathways: [Option]
    var releases: [Option]
    var hasReleases: Bool
    /// The accreditation term, chosen at application: 3 or 4 years (`[F]` brief A.3, S2).
    var terms: [Option]
    var error: String?
}

struct WorkspacePage: Sendable, Equatable {
    struct ActionButton: Sendable, Equatable {
        var label: String
        /// Some indicator codes concerned beyond those listed.
        var moreConcerns: String?
        var path: String
        var version: Int
        var blockedBecause: String?
        var concerns: [Concern]
        var hasConcerns: Bool
        var needsText: Bool
        var textLabel: String
        var isWithdraw: Bool
    }

    struct Concern: Sendable, Equatable {
        var code: String
        var anchor: String
    }

    struct Domain: Sendable, Equatable {
        var code: String
        var title: String
        var progress: ProgressLine
        /// Open while the person still has answers to give in it.
        var isOpen: Bool
        var standards: [Standard]
    }

    struct Standard: Sendable, Equatable {
        var code: String
        var title: String
        var indicators: [IndicatorLine]
    }

    struct IndicatorLine: Sendable, Equatable {
        var code: String
        var anchor: String
        var title: String
        var requirement: String
        var guidance: String
        var levelLabel: String
        var reason: String
        var expectedEvidence: [String]
        var answered: Bool
        var answer: String
        /// What the person typed when their answer was refused or went stale; shown in the form.
        var draft: String
        var version: String
        var respondPath: String
        var canRespond: Bool
        var evidence: [DocumentLink]
        var hasEvidence: Bool
        var error: String?
        var stale: String?
        var fieldID: String
    }

    struct DocumentLink: Sendable, Equatable {
        var title: String
        var path: String
        var stateLabel: String
    }

    struct Document: Sendable, Equatable {
        var id: String
        var title: String
        var fileName: String
        var kindLabel: String
        var size: String
        var stateLabel: String
        var uploaded: String
        var indicators: String
        var downloadPath: String
    }

    struct Choice: Sendable, Equatable {
        var value: String
        var label: String
        var fieldID: String
    }

    struct NotApplicable: Sendable, Equatable {
        var code: String
        var title: String
        var reason: String
    }

    // Optional strings: mustache treats "" as true, so an absent value must be nil.
    struct RFI: Sendable, Equatable {
        var question: String
        var indicator: String?
        var stateLabel: String
        var due: String
        var answer: String?
        var canAnswer: Bool
        var answerPath: String
        var version: Int
        var fieldID: String
        var draft: String
        var error: String?
    }

    struct CorrectiveAction: Sendable, Equatable {
        var indicator: String
        var description: String
        var stateLabel: String
        var due: String
        var response: String?
        var canAnswer: Bool
        var answerPath: String
        var version: Int
        var fieldID: String
        var draft: String
        var error: String?
    }

    /// A determination, appeal or change notice.
    struct Record: Sendable, Equatable {
        var kind: String
        var outcome: String?
        var text: String
        var when: String
    }

    struct TeamMember: Sendable, Equatable {
        var name: String
        var discipline: String?
        var stateLabel: String
    }

    struct Event: Sendable, Equatable {
        var when: String
        var whenISO: String
        var who: String
        var what: String
        var detail: String?
    }

    struct Upload: Sendable, Equatable {
        /// The API route the script streams to.
        var path: String
        /// The form route that works without the script.
        var formPath: String
        /// Documents a new upload may replace (a new version), newest first.
        var replaceable: [Choice]
        var canReplace: Bool
        var maxBytes: Int
        var maxLabel: String
        var kinds: [Choice]
        var indicators: [Choice]
        var today: String
    }

    var chrome: Chrome
    var title: String
    var notice: Notice?
    var practiceName: String
    var stateLabel: String
    var pathwayLabel: String
    var releaseLabel: String
    var termLabel: String
    var nextWho: String
    var nextWhat: String
    var selfAssessmentEnds: String?
    var version: Int
    var progress: ProgressLine
    var actions: [ActionButton]
    var hasActions: Bool
    var domains: [Domain]
    var notApplicable: [NotApplicable]
    var hasNotApplicable: Bool
    var documents: [Document]
    var hasDocuments: Bool
    var canUpload: Bool
    var upload: Upload
    /// One form links any live document to more indicators.
    var canLink: Bool
    var linkPath: String
    var linkChoices: [Choice]
    var rfis: [RFI]
    var hasRFIs: Bool
    var correctiveActions: [CorrectiveAction]
    var hasCorrectiveActions: Bool
    var records: [Record]
    var hasRecords: Bool
    var team: [TeamMember]
    var hasTeam: Bool
    var history: [Event]
    var workspacePath: String
    var verifyPath: String
    var verification: String?
    var verificationOK: Bool
}

/// Words for the domain's values, one place for the pages.
enum Labels {
    static func role(_ role: Role) -> String {
        switch role {
        case .practiceAdmin: "Practice administrator"
        case .practiceContributor: "Practice contributor"
        case .surveyor: "Surveyor"
        case .staff: "ASTRO staff"
        case .administrator: "Administrator"
        case .system: "System"
        }
    }

    static func state(_ raw: String) -> String {
        if raw == ApplicationState.selfAssessment.rawValue { return "Self-assessment" }
        let words = raw.replacingOccurrences(of: "-", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    static func pathway(_ pathway: Pathway) -> String {
        switch pathway {
        case .rptPaired: "RPT paired with APEx"
        case .rptStandalone: "RPT stand-alone"
        }
    }

    static func level(_ level: Level) -> String {
        switch level {
        case .mustMeet: "Level 1: must be met"
        case .scored: "Level 2: scored"
        }
    }

    static func action(_ action: ApplicationAction) -> String {
        switch action {
        case .submit: "Submit the application"
        case .submitSelfAssessment: "Submit the self-assessment"
        case .resubmit: "Resubmit for review"
        case .submitCorrectiveAction: "Submit the corrective actions"
        case .appeal: "Appeal the determination"
        case .fileChangeNotice: "File a change notice"
        case .reaccredit: "Start reaccreditation"
        case .withdraw: "Withdraw the application"
        default: state(action.rawValue)
        }
    }

    /// Text an action needs, if any: its label on the form.
    static func text(for action: ApplicationAction) -> String? {
        switch action {
        case .appeal: "Grounds for the appeal"
        case .fileChangeNotice: "What changed"
        default: nil
        }
    }

    static func discipline(_ raw: String?) -> String? {
        switch raw.flatMap(Discipline.init(rawValue:)) {
        case .radiationOncologist: "Radiation oncologist"
        case .medicalPhysicist: "Medical physicist"
        case nil: nil
        }
    }

    static func agent(_ agent: RPTAgent) -> String {
        switch agent {
        case .lu177PSMA: "Lu-177 PSMA (e.g. Pluvicto)"
        case .lu177DOTATATE: "Lu-177 DOTATATE (e.g. Lutathera)"
        case .ra223: "Ra-223 dichloride (Xofigo)"
        case .i131: "I-131 (sodium iodide)"
        case .y90Microspheres: "Y-90 microspheres"
        }
    }

    static func evidenceKind(_ kind: EvidenceKind) -> String { state(kind.rawValue) }

    static func bytes(_ count: Int64) -> String {
        ByteCountFormatter.string(fromByteCount: count, countStyle: .file)
    }

    /// "29 Nov 2026", in UTC like every date the service stores.
    static func date(_ date: Date) -> String { dayFormat.string(from: date) }
    /// "29 Nov 2026 17:05 UTC".
    static func time(_ date: Date) -> String { timeFormat.string(from: date) + " UTC" }
    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    private static let dayFormat: DateFormatter = {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_GB")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "d MMM yyyy"
        return format
    }()

    private static let timeFormat: DateFormatter = {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_GB")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "d MMM yyyy HH:mm"
        return format
    }()
}

struct PracticePage: Sendable, Equatable {
    struct Facility: Sendable, Equatable {
        var name: String
        var address: String?
        var kind: String
    }

    struct Check: Sendable, Equatable {
        var value: String
        var label: String
        var checked: Bool
        var fieldID: String
    }

    struct Criterion: Sendable, Equatable {
        var code: String
        var title: String
        var reason: String
    }

    var chrome: Chrome
    var title = "Practice profile"
    var notice: Notice?
    var legalName: String
    var licenceNumber: String
    var regulator: String
    var facilities: [Facility]
    var canEdit: Bool
    var facilityAction = WebRoute.addFacility.path
    var facilityName = ""
    var facilityAddress = ""
    var facilityDistance = ""
    var facilityError: String?
    var action = WebRoute.practiceScope.path
    var agents: [Check]
    var inpatientTherapy: Bool
    var patientSpecificDosimetry: Bool
    var siteCount: String
    var licensedUseTypes: String
    var jurisdiction: String
    /// The refusal, also shown beside the field it concerns (the form keeps what was typed).
    var error: String?
    var agentsError: String?
    var siteCountError: String?
    var licensedUseTypesError: String?
    var jurisdictionError: String?
    var hasCriteria: Bool
    var releaseLabel: String
    /// Indicators every practice answers, and those this scope adds (with the reason).
    var always: [Criterion]
    var alwaysCount: Int
    var applicable: [Criterion]
    var notApplicable: [Criterion]
    var applicableCount: Int
    var notApplicableCount: Int
}

struct PeoplePage: Sendable, Equatable {
    struct Person: Sendable, Equatable {
        var name: String
        var email: String
        var roleLabel: String
    }

    struct Pending: Sendable, Equatable {
        var name: String
        var email: String
        var roleLabel: String
        var expires: String
    }

    struct RoleOption: Sendable, Equatable {
        var value: String
        var label: String
        var selected: Bool
    }

    var chrome: Chrome
    var title = "People of the practice"
    var people: [Person]
    var pending: [Pending]
    var hasPending: Bool
    var canInvite: Bool
    var action = WebRoute.invite.path
    var roles: [RoleOption]
    var email: String
    var displayName: String
    var error: String?
    /// After an invitation: the one-time link to pass on (shown once; only its hash is stored).
    var invitationLink: String?
    var invitedEmail: String
}
