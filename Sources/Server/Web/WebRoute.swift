import AccreditationCore
import Foundation

/// Every page and form target of the web portal. Links are built here from typed values (ids, codes,
/// enum cases), never from text a user typed, so no user value can shape a URL.
enum WebRoute: Sendable, Equatable {
    case home
    case signIn
    case signOut
    case acceptInvitation
    case changePassword
    case newApplication
    case practice
    case practiceScope
    case addFacility
    case people
    case invite
    case application(UUID)
    case respond(UUID, IndicatorCode)
    case fire(UUID, ApplicationAction)
    /// Links the document named in the form to more indicators.
    case link(UUID)
    case answerRFI(UUID, rfi: UUID)
    case answerCorrectiveAction(UUID, item: UUID)
    case verifyHistory(UUID)
    /// The API's streaming upload route, which the progress-bar script posts the file to.
    case uploadEvidence(UUID)
    /// The same upload as a form (`multipart/form-data`), without JavaScript.
    case uploadForm(UUID)
    case downloadEvidence(UUID, document: UUID)
    case stylesheet
    case script

    var path: String {
        switch self {
        case .home: "/"
        case .signIn: "/sign-in"
        case .signOut: "/sign-out"
        case .acceptInvitation: "/invitations/accept"
        case .changePassword: "/account/password"
        case .newApplication: "/applications/new"
        case .practice: "/practice"
        case .practiceScope: "/practice/scope"
        case .addFacility: "/practice/facilities"
        case .people: "/practice/people"
        case .invite: "/practice/invitations"
        case let .application(id): "/applications/\(Self.id(id))"
        case let .respond(id, code): "/applications/\(Self.id(id))/indicators/\(code.value)/response"
        case let .fire(id, action): "/applications/\(Self.id(id))/actions/\(action.rawValue)"
        case let .link(id): "/applications/\(Self.id(id))/links"
        case let .answerRFI(id, rfi): "/applications/\(Self.id(id))/rfis/\(Self.id(rfi))/answer"
        case let .answerCorrectiveAction(id, item): "/applications/\(Self.id(id))/corrective-actions/\(Self.id(item))/answer"
        case let .verifyHistory(id): "/applications/\(Self.id(id))/history/verify"
        case let .uploadEvidence(id): "/api/v1/applications/\(Self.id(id))/evidence"
        case let .uploadForm(id): "/applications/\(Self.id(id))/evidence"
        case let .downloadEvidence(id, document): "/api/v1/applications/\(Self.id(id))/evidence/\(Self.id(document))/content"
        case .stylesheet: "/assets/apex.css"
        case .script: "/assets/apex.js"
        }
    }

    /// The anchor of an indicator on the workspace page (for links from refusals).
    static func anchor(_ code: String) -> String { "indicator-" + code }

    static func id(_ id: UUID) -> String { id.uuidString.lowercased() }
}
