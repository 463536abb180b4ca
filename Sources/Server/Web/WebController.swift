import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Persistence
import UseCases

/// The portal's pages and form posts. Each handler turns form fields into typed inputs, calls one use
/// case, and either redirects (Post/Redirect/Get) or shows the page again with the refusal next to the
/// field and what the person typed kept. Buttons appear because `ActionOptions` (the domain's tables)
/// allows them; no role or state list lives here.
struct WebController: Sendable {
    let workspace: Workspace
    let directory: PracticeDirectory
    let uploads: EvidenceUploads
    /// The application read cache (NOTIFY-invalidated); also keeps rendered workspace pages.
    let cache: ApplicationCache
    let flights = RenderFlights()
    let accounts: AccountStore
    let sessions: SessionCache
    let catalog: CatalogStore
    let settings: WebSessionSettings
    let renderer: PageRenderer
    let maxUploadBytes: Int
    let failureDelay: Duration
    let logger: Logger

    /// Form bodies are small; an answer is at most 20,000 characters (up to 4 bytes each, then escaped).
    static let formLimit = 256 * 1024

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("/") { request, context in try await home(request, context) }
        group.get("sign-in") { request, context in try await signInPage(request, context) }
        group.post("sign-in") { request, context in try await signIn(request, context) }
        group.post("sign-out") { request, context in try await signOut(request, context) }
        group.get("invitations/accept") { request, context in try await invitationPage(request, context) }
        group.post("invitations/accept") { request, context in try await acceptInvitation(request, context) }
        group.get("account/password") { request, context in try await passwordPage(request, context) }
        group.post("account/password") { request, context in try await changePassword(request, context) }
        group.get("applications/new") { request, context in try await newApplicationPage(request, context) }
        group.post("applications/new") { request, context in try await startApplication(request, context) }
        group.get("applications/:id") { request, context in try await workspacePage(request, context) }
        group.post("applications/:id/indicators/:code/response") { request, context in try await respond(request, context) }
        group.post("applications/:id/actions/:action") { request, context in try await fire(request, context) }
        group.post("applications/:id/links") { request, context in try await link(request, context) }
        group.post("applications/:id/rfis/:rfi/answer") { request, context in try await answerRFI(request, context) }
        group.post("applications/:id/evidence") { request, context in try await uploadForm(request, context) }
        group.post("applications/:id/corrective-actions/:item/answer") { request, context in try await answerCorrectiveAction(request, context) }
        group.post("applications/:id/history/verify") { request, context in try await verify(request, context) }
        addPracticeRoutes(to: group)
    }

    // MARK: - Signing in and out

    func signInPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        if context.identity != nil { return .redirect(to: WebRoute.home.path, type: .normal) }
        var page = SignInPage()
        if request.uri.queryParameters["signed-out"] != nil { page.notice = "You are signed out." }
        if request.uri.queryParameters["expired"] != nil {
            page.notice = "Your session has ended: you signed out, changed your password elsewhere, or it expired. Sign in again to go on."
        }
        return try renderer.page("sign-in", page)
    }

    func signIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        struct Form: Decodable { var email: String?; var password: String? }
        let form = try await decode(Form.self, request, context, requireToken: false)
        var page = SignInPage(email: form.email ?? "")
        do {
            let session = try await accounts.login(email: form.email ?? "", password: form.password ?? "", address: context.remoteAddress)
            var response = Response.redirect(to: WebRoute.home.path, type: .normal)
            response.headers[.setCookie] = settings.cookie(session.token, expires: session.expiresAt)
            return response
        } catch let AccountError.invalidCredentials(failures) {
            try await Task.sleep(for: failureDelay * min(failures, 8))
            page.error = "The email or password is not right. Check both and try again."
        } catch let AccountError.locked(until) {
            page.error = "Signing in to this account is paused after repeated failures. Try again after \(Labels.time(until)), or ask ASTRO staff to reset your password."
        } catch let busy as SignInsInProgress {
            page.error = "Too many sign-ins are being checked for this account right now. Wait \(busy.retryAfter) seconds and try again."
        } catch is EmailAddress.Problem {
            page.error = "The email or password is not right. Check both and try again."
        }
        return try renderer.page("sign-in", page, status: .unauthorized)
    }

    func signOut(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        _ = try await decode(EmptyForm.self, request, context, requireToken: true)
        if let token = context.sessionToken {
            try? await accounts.logout(token: token)
            if let person = context.identity?.personID { sessions.forget(person: person) }
        }
        var response = Response.redirect(to: WebRoute.signIn.path + "?signed-out=1", type: .normal)
        response.headers[.setCookie] = settings.clearingCookie
        return response
    }

    func invitationPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try renderer.page("accept-invitation", AcceptInvitationPage(token: request.uri.queryParameters["token"].map(String.init) ?? ""))
    }

    func acceptInvitation(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        struct Form: Decodable { var token: String?; var password: String?; var confirmation: String? }
        let form = try await decode(Form.self, request, context, requireToken: false)
        var page = AcceptInvitationPage(token: form.token ?? "")
        guard let password = form.password, password == form.confirmation else {
            page.error = "The two passwords differ. Type the same password twice."
            return try renderer.page("accept-invitation", page, status: .unprocessableContent)
        }
        do {
            let session = try await accounts.acceptInvitation(token: form.token ?? "", password: password)
            var response = Response.redirect(to: WebRoute.home.path, type: .normal)
            response.headers[.setCookie] = settings.cookie(session.token, expires: session.expiresAt)
            return response
        } catch let AccountError.weakPassword(reason) {
            page.error = reason
        } catch AccountError.invitationUnusable {
            page.error = AccountError.invitationUnusable.description
        }
        return try renderer.page("accept-invitation", page, status: .unprocessableContent)
    }

    func passwordPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (identity, token) = try signedIn(context)
        var page = ChangePasswordPage(chrome: Chrome(identity: identity, sessionToken: token))
        if request.uri.queryParameters["changed"] != nil { page.notice = "Your password is changed." }
        return try renderer.page("change-password", page)
    }

    /// Changing the password ends every other session of the person; this one stays.
    func changePassword(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        struct Form: Decodable { var current: String?; var new: String?; var confirmation: String? }
        let (identity, token) = try signedIn(context)
        let form = try await decode(Form.self, request, context, requireToken: true)
        var page = ChangePasswordPage(chrome: Chrome(identity: identity, sessionToken: token))
        guard let new = form.new, new == form.confirmation else {
            page.error = "The two new passwords differ. Type the same password twice."
            return try renderer.page("change-password", page, status: .unprocessableContent)
        }
        do {
            try await accounts.changePassword(token: token, current: form.current ?? "", new: new, address: context.remoteAddress)
            sessions.forget(person: identity.personID)
            return .redirect(to: WebRoute.changePassword.path + "?changed=1", type: .normal)
        } catch let AccountError.invalidCredentials(failures) {
            try await Task.sleep(for: failureDelay * min(failures, 8))
            page.error = "The current password is not right."
        } catch let AccountError.weakPassword(reason) {
            page.error = reason
        } catch let AccountError.locked(until) {
            page.error = "Too many wrong passwords. Try again after \(Labels.time(until))."
        } catch let busy as SignInsInProgress {
            page.error = busy.description
        }
        return try renderer.page("change-password", page, status: .unprocessableContent)
    }

    // MARK: - Home and starting an application

    func home(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let identity = context.identity, let token = context.sessionToken else {
            return .redirect(to: WebRoute.signIn.path + (context.sessionEnded ? "?expired=1" : ""), type: .normal)
        }
        let lines = try await workspace.home(for: identity)
        let page = HomePage(
            chrome: Chrome(identity: identity, sessionToken: token),
            notice: request.uri.queryParameters["withdrawn"] != nil ? Notice(text: "The application is withdrawn.", isError: false) : nil,
            applications: lines.map(PageBuilder.line), isEmpty: lines.isEmpty,
            canStart: identity.practiceID != nil && RecordActions.applicationCreators.contains(identity.role))
        return try renderer.page("home", page)
    }

    func newApplicationPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (identity, token) = try signedIn(context)
        return try renderer.page("new-application", try await newApplicationModel(identity, token, pathway: nil, release: nil, termYears: nil, error: nil))
    }

    func startApplication(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        struct Form: Decodable { var pathway: String?; var release: String?; var term_years: String? }
        let (identity, token) = try signedIn(context)
        let form = try await decode(Form.self, request, context, requireToken: true)
        func again(_ message: String) async throws -> Response {
            try renderer.page("new-application", try await newApplicationModel(identity, token, pathway: form.pathway, release: form.release,
                                                                               termYears: form.term_years, error: message),
                              status: .unprocessableContent)
        }
        guard let practice = identity.practiceID else {
            return try await again("Applications are started by a practice's administrator for their own practice.")
        }
        guard let pathway = form.pathway.flatMap(Pathway.init(rawValue:)) else { return try await again("Choose a pathway.") }
        guard let release = form.release, !release.isEmpty else { return try await again("Choose a criteria release.") }
        guard let term = form.term_years.flatMap({ Int($0) }) else { return try await again("Choose the term: 3 or 4 years.") }
        do {
            let id = try await workspace.startApplication(practice: practice, releaseID: release, pathway: pathway, termYears: term, as: identity)
            return .redirect(to: WebRoute.application(id).path, type: .normal)
        } catch let error as WorkflowError {
            if case .notFound = error { return try await again("That criteria release is not published.") }
            return try await again(PageBuilder.sentence(error))
        } catch let error as FieldError {
            return try await again(error.message)
        }
    }

    func newApplicationModel(_ identity: Identity, _ token: String, pathway: String?, release: String?, termYears: String?,
                             error: String?) async throws -> NewApplicationPage {
        let releases = try await catalog.list().filter { $0.status == .published }
        let chosenRelease = release ?? releases.last?.releaseID
        return NewApplicationPage(
            chrome: Chrome(identity: identity, sessionToken: token),
            pathways: Pathway.allCases.map { .init(value: $0.rawValue, label: Labels.pathway($0), selected: $0.rawValue == (pathway ?? Pathway.rptPaired.rawValue)) },
            releases: releases.map { .init(value: $0.releaseID, label: "\($0.title) (\($0.version), effective \($0.effective))", selected: $0.releaseID == chosenRelease) },
            hasReleases: !releases.isEmpty,
            terms: ["4", "3"].map { .init(value: $0, label: "\($0) years", selected: $0 == (termYears ?? "4")) }, error: error)
    }

    // MARK: - The application workspace

    func workspacePage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (identity, token) = try signedIn(context)
        let id = try Self.uuid(context.parameters.get("id"))
        let query = request.uri.queryParameters
        guard query["done"] == nil, query["verified"] == nil else {
            var page = PageBuilder.workspace(try await workspace.application(id, as: identity), chrome: Chrome(identity: identity, sessionToken: token),
                                             maxUploadBytes: maxUploadBytes)
            if let done = query["done"] { page.notice = PageBuilder.doneNotice(String(done)) }
            if let verdict = query["verified"] {
                page.verificationOK = verdict == "ok"
                page.verification = verdict == "ok"
                    ? "The history is intact: every event's hash chains to the one before it, so nothing was changed or removed."
                    : "The history is broken: an event does not chain to the one before it. Tell ASTRO staff; they can see where with `apex audit verify`."
            }
            return try renderer.page("workspace", page)
        }
        return try await cachedWorkspace(id, identity, token)
    }

    /// The plain workspace page. People of a practice see the same page as everyone else of their role
    /// there, apart from their name and form token; that page is rendered once with placeholders and
    /// kept beside the application's cached copy, forgotten on any change to the application (here at
    /// once, on other replicas by NOTIFY) and after 30 s. Each request still asks the access policy.
    func cachedWorkspace(_ id: UUID, _ identity: Identity, _ token: String) async throws -> Response {
        guard identity.role.isPracticeRole, let practice = identity.practiceID else {
            let detail = try await workspace.application(id, as: identity)
            return try renderer.page("workspace", PageBuilder.workspace(detail, chrome: Chrome(identity: identity, sessionToken: token), maxUploadBytes: maxUploadBytes))
        }
        let key = identity.role.rawValue + "@" + CalendarDate(utcDayOf: Date()).description
        if let (entry, html) = cache.page(id, key: key), AccessPolicy.canView(entry.facts, as: identity) {
            return renderer.respond(PagePlaceholders.fill(html, identity: identity, sessionToken: token, renderer: renderer))
        }
        // One rendering at a time per application, role and practice: requests that miss together wait
        // for it instead of each rendering the same page (they see the same thing, so the access policy
        // answers them alike); a request after a change never joins a rendering begun before it.
        let ticket = cache.lookup(id).ticket
        let flight = flights.join("\(id)|\(key)|\(practice)", ticket: ticket) {
            let detail = try await workspace.application(id, as: identity)
            let html = PagePlaceholders.Split(try renderer.html("workspace", PageBuilder.workspace(detail, chrome: PagePlaceholders.chrome(identity),
                                                                                                  maxUploadBytes: maxUploadBytes)))
            cache.store((detail.application, detail.access), for: id, ticket: ticket)
            cache.attach(page: html, key: key, to: id, view: detail.application, ticket: ticket)
            return html
        }
        return renderer.respond(PagePlaceholders.fill(try await flight.value, identity: identity, sessionToken: token, renderer: renderer))
    }

    func respond(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        struct Form: Decodable { var answer: String?; var version: String? }
        let (identity, token) = try signedIn(context)
        let id = try Self.uuid(context.parameters.get("id"))
        let form = try await decode(Form.self, request, context, requireToken: true)
        let answer = form.answer ?? ""
        guard let code = try? IndicatorCode(context.parameters.get("code") ?? "") else { throw HTTPError(.notFound) }
        let expected = form.version.flatMap { $0.isEmpty ? nil : Int($0) }
        do {
            try await workspace.respond(application: id, indicator: code, answer: answer, expectedVersion: expected, as: identity)
            cache.changed(id)
            return .redirect(to: WebRoute.application(id).path + "?done=answered#" + WebRoute.anchor(code.value), type: .normal)
        } catch let error as FieldError {
            return try await workspaceAgain(id, identity, token) { $0.keep(answer: answer, for: code.value, error: error.message) }
        } catch let error as WorkflowError {
            if case .notFound = error { throw error }
            if case .stale = error {
                return try await workspaceAgain(id, identity, token) {
                    $0.keep(answer: answer, for: code.value, stale: "Someone else changed this answer while you were editing. Their answer is shown above; yours is kept below. Check it and save again.")
                }
            }
            return try await workspaceAgain(id, identity, token) { $0.keep(answer: answer, for: code.value, error: PageBuilder.sentence(error)) }
        }
    }

    func fire(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        struct Form: Decodable { var version: String?; var text: String? }
        let (identity, token) = try signedIn(context)
        let id = try Self.uuid(context.parameters.get("id"))
        let form = try await decode(Form.self, request, context, requireToken: true)
        guard let action = context.parameters.get("action").flatMap(ApplicationAction.init(rawValue:)) else { throw HTTPError(.notFound) }
        guard let version = form.version.flatMap({ Int($0) }) else {
            return try await workspaceAgain(id, identity, token) { $0.notice = Notice(text: "The form was incomplete; try again.", isError: true) }
        }
        do {
            try await workspace.fire(action, application: id, expectedVersion: version, text: Labels.text(for: action) == nil ? nil : (form.text ?? ""),
                                     as: identity)
            cache.changed(id)
            return .redirect(to: WebRoute.application(id).path + "?done=\(action.rawValue)", type: .normal)
        } catch let error as FieldError {
            return try await workspaceAgain(id, identity, token) { $0.notice = Notice(text: error.message, isError: true) }
        } catch let error as WorkflowError {
            if case .notFound = error { throw error }
            return try await workspaceAgain(id, identity, token) {
                $0.notice = Notice(text: "\(Labels.action(action)) was refused: \(PageBuilder.sentence(error))", isError: true)
            }
        }
    }

    func link(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        struct Form: Decodable { var document: String?; var indicators: [String]? }
        let (identity, token) = try signedIn(context)
        let id = try Self.uuid(context.parameters.get("id"))
        let form = try await decode(Form.self, request, context, requireToken: true)
        do {
            guard let document = form.document.flatMap(UUID.init(uuidString:)) else {
                throw FieldError(field: "document", message: "Choose the document to link.")
            }
            let codes = try (form.indicators ?? []).map { try IndicatorCode($0, field: "indicators") }
            try await workspace.linkEvidence(document, application: id, indicators: codes, as: identity)
            cache.changed(id)
            return .redirect(to: WebRoute.application(id).path + "?done=linked#documents", type: .normal)
        } catch let error as FieldError {
            return try await workspaceAgain(id, identity, token) { $0.notice = Notice(text: error.message, isError: true) }
        } catch let error as WorkflowError {
            if case .notFound = error { throw error }
            return try await workspaceAgain(id, identity, token) { $0.notice = Notice(text: PageBuilder.sentence(error), isError: true) }
        }
    }

    func answerRFI(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        struct Form: Decodable { var answer: String?; var version: String? }
        let (identity, token) = try signedIn(context)
        let id = try Self.uuid(context.parameters.get("id"))
        let rfi = try Self.uuid(context.parameters.get("rfi"))
        let form = try await decode(Form.self, request, context, requireToken: true)
        let answer = form.answer ?? ""
        do {
            try await workspace.answerRFI(rfi, application: id, answer: answer, expectedVersion: form.version.flatMap { Int($0) } ?? 0, as: identity)
            cache.changed(id)
            return .redirect(to: WebRoute.application(id).path + "?done=rfi-answered#rfis", type: .normal)
        } catch let error as FieldError {
            return try await workspaceAgain(id, identity, token) { $0.keep(rfiAnswer: answer, for: rfi, error: error.message) }
        } catch let error as WorkflowError {
            if case .notFound = error { throw error }
            return try await workspaceAgain(id, identity, token) { $0.keep(rfiAnswer: answer, for: rfi, error: PageBuilder.sentence(error)) }
        }
    }

    func answerCorrectiveAction(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        struct Form: Decodable { var response: String?; var version: String? }
        let (identity, token) = try signedIn(context)
        let id = try Self.uuid(context.parameters.get("id"))
        let item = try Self.uuid(context.parameters.get("item"))
        let form = try await decode(Form.self, request, context, requireToken: true)
        let text = form.response ?? ""
        do {
            try await workspace.answerCorrectiveAction(item, application: id, response: text, expectedVersion: form.version.flatMap { Int($0) } ?? 0,
                                                       as: identity)
            cache.changed(id)
            return .redirect(to: WebRoute.application(id).path + "?done=corrective-action-answered#corrective-actions", type: .normal)
        } catch let error as FieldError {
            return try await workspaceAgain(id, identity, token) { $0.keep(correctiveResponse: text, for: item, error: error.message) }
        } catch let error as WorkflowError {
            if case .notFound = error { throw error }
            return try await workspaceAgain(id, identity, token) { $0.keep(correctiveResponse: text, for: item, error: PageBuilder.sentence(error)) }
        }
    }

    func verify(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (identity, _) = try signedIn(context)
        let id = try Self.uuid(context.parameters.get("id"))
        _ = try await decode(EmptyForm.self, request, context, requireToken: true)
        let report = try await workspace.verifyHistory(id, as: identity)
        return .redirect(to: WebRoute.application(id).path + "?verified=\(report.isIntact ? "ok" : "broken")#history", type: .normal)
    }

    // MARK: - Helpers

    /// The workspace page shown again (status 422) after a refusal, adjusted by `change` (the refusal's
    /// message, the person's typed text).
    func workspaceAgain(_ id: UUID, _ identity: Identity, _ token: String, _ change: (inout WorkspacePage) -> Void) async throws -> Response {
        let detail = try await workspace.application(id, as: identity)
        var page = PageBuilder.workspace(detail, chrome: Chrome(identity: identity, sessionToken: token), maxUploadBytes: maxUploadBytes)
        change(&page)
        return try renderer.page("workspace", page, status: .unprocessableContent)
    }

    /// The signed-in person, or a redirect to the sign-in page.
    func signedIn(_ context: AppRequestContext) throws -> (Identity, String) {
        guard let identity = context.identity, let token = context.sessionToken else { throw WebRedirect.signIn }
        return (identity, token)
    }

    /// A form body, decoded, with the session's synchronizer token checked when the form needs a session.
    func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: AppRequestContext, requireToken: Bool) async throws -> T {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            throw WebFailure(status: .unsupportedMediaType, message: "This page accepts only its own forms.")
        }
        let buffer = try await request.body.collect(upTo: Self.formLimit)
        let text = String(buffer: buffer)
        if requireToken {
            let sent = (try? URLEncodedFormDecoder().decode(TokenField.self, from: text))?.csrf
            guard let session = context.sessionToken, CSRFToken.matches(sent, session: session) else { throw WebFailure.forged }
        }
        do {
            return try URLEncodedFormDecoder().decode(T.self, from: text)
        } catch {
            throw WebFailure(status: .badRequest, message: "The form could not be read. Go back, reload the page and try again.")
        }
    }

    static func uuid(_ raw: String?) throws -> UUID {
        guard let raw, let id = UUID(uuidString: raw) else { throw HTTPError(.notFound) }
        return id
    }

    struct EmptyForm: Decodable {}
    struct TokenField: Decodable { var csrf: String? }
}

/// Sent when a page needs a signed-in person: the error-page middleware answers a redirect to sign in.
enum WebRedirect: Error {
    case signIn
}

/// A refusal of the web layer itself (a forged or unreadable form), shown as an error page.
struct WebFailure: Error {
    let status: HTTPResponse.Status
    let message: String

    static let forged = WebFailure(
        status: .forbidden,
        message: "This form did not come from this site's own pages, or your session changed since it was shown. Reload the page and try again.")
}
