import AccreditationCore
import Foundation
@testable import Server
import Testing

/// Each page's HTML from a fixed view model, compared with a golden file under `Golden/`
/// (`APEX_UPDATE_GOLDEN=1 swift test --filter PageTemplateTests` rewrites them; review the diff), and
/// the rule that templates never switch escaping off.
@Suite struct PageTemplateTests {
    static let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/Server/Web/Templates")
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// Unescaped output (`{{{x}}}`, `{{& x}}`) is allowed nowhere; add a template here only with a
    /// reason written beside it.
    static let unescapedAllowList: Set<String> = []

    @Test func noTemplateTurnsEscapingOff() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.templates.path).filter { $0.hasSuffix(".mustache") }
        #expect(names.count >= 9)
        for name in names where !Self.unescapedAllowList.contains(name) {
            let text = try String(contentsOf: Self.templates.appendingPathComponent(name), encoding: .utf8)
            #expect(!text.contains("{{{"), "\(name) has {{{")
            #expect(text.firstMatch(of: /\{\{\s*&/) == nil, "\(name) has {{&")
            #expect(text.firstMatch(of: /\{\{\s*=/) == nil, "\(name) changes the delimiters, which would hide unescaped tags from this test")
        }
    }

    static let chrome: Chrome = {
        var chrome = Chrome()
        chrome.signedIn = true
        chrome.personName = "Priya <Raman>"
        chrome.roleLabel = "Practice administrator"
        chrome.role = .practiceAdmin
        chrome.hasPractice = true
        chrome.csrf = "c5f"
        return chrome
    }()

    static let id = UUID(uuidString: "00000000-0000-0000-0000-0000000000a1")!

    static func workspace() -> WorkspacePage {
        let indicator = WorkspacePage.IndicatorLine(
            code: "GOV-01", anchor: "indicator-GOV-01", title: "Licence covers all RPT uses", requirement: "The licence authorises each agent.",
            guidance: "Attach the licence.", levelLabel: "Level 1: must be met", reason: "Applies to every RPT practice.",
            expectedEvidence: ["Licence: the current licence"], answered: true, answer: "Yes, \"all\" <uses>", draft: "Yes, \"all\" <uses>",
            version: "2", respondPath: WebRoute.respond(id, try! IndicatorCode("GOV-01")).path, canRespond: true,
            evidence: [.init(title: "Licence", path: "/api/v1/applications/x/evidence/y/content", stateLabel: "Submitted")], hasEvidence: true,
            error: "answer must not be empty.", stale: nil, fieldID: "answer-GOV-01")
        return WorkspacePage(
            chrome: chrome, title: "Lakeside: RPT paired with APEx", notice: Notice(text: "Answer saved.", isError: false),
            practiceName: "Lakeside", stateLabel: "Self-assessment", pathwayLabel: "RPT paired with APEx", releaseLabel: "Criteria (2026.1)",
            termLabel: "3-year term, starts on accreditation", nextWho: "Your practice", nextWhat: "Answer every applicable indicator.",
            selfAssessmentEnds: "31 May 2027", version: 4, progress: ProgressLine(.init(total: 2, answered: 1, withEvidence: 1)),
            actions: [.init(label: "Submit the self-assessment", moreConcerns: nil, path: WebRoute.fire(id, .submitSelfAssessment).path, version: 4,
                            blockedBecause: "No self-assessment response for GOV-02.", concerns: [.init(code: "GOV-02", anchor: "indicator-GOV-02")],
                            hasConcerns: true, needsText: false, textLabel: "", isWithdraw: false)],
            hasActions: true,
            domains: [.init(code: "GOV", title: "Governance", progress: ProgressLine(.init(total: 2, answered: 1, withEvidence: 1)), isOpen: true,
                            standards: [.init(code: "GOV.1", title: "Licensing", indicators: [indicator])])],
            notApplicable: [.init(code: "STF-05", title: "Inpatient instruction", reason: "Does not apply: no inpatient therapy.")],
            hasNotApplicable: true,
            documents: [.init(id: "d1", title: "Licence <scan>", fileName: "licence.pdf", kindLabel: "Licence", size: "200 KB", stateLabel: "Submitted",
                              uploaded: "1 Nov 2026 10:00 UTC", indicators: "GOV-01", downloadPath: "/api/v1/applications/x/evidence/d1/content")],
            hasDocuments: true, canUpload: true,
            upload: .init(path: WebRoute.uploadEvidence(id).path, formPath: WebRoute.uploadForm(id).path, replaceable: [.init(value: "d1", label: "Licence <scan> (licence.pdf)", fieldID: "")],
                          canReplace: true, maxBytes: 1024, maxLabel: "1 KB",
                          kinds: [.init(value: "licence", label: "Licence", fieldID: "")],
                          indicators: [.init(value: "GOV-01", label: "GOV-01 Licence", fieldID: "upload-GOV-01")], today: "2026-11-29"),
            canLink: true, linkPath: WebRoute.link(id).path, linkChoices: [.init(value: "GOV-02", label: "GOV-02 RSO", fieldID: "link-GOV-02")],
            rfis: [.init(question: "Send the 2025 survey", indicator: "GOV-01", stateLabel: "Open", due: "1 Dec 2026", answer: "", canAnswer: true,
                         answerPath: "/applications/x/rfis/r/answer", version: 1, fieldID: "rfi-r", draft: "", error: nil)],
            hasRFIs: true,
            correctiveActions: [.init(indicator: "GOV-02", description: "Appoint an RSO in writing", stateLabel: "Open", due: "1 Feb 2027", response: "",
                                      canAnswer: true, answerPath: "/applications/x/corrective-actions/c/answer", version: 1, fieldID: "ca-c",
                                      draft: "We did <this>", error: "response must not be empty.")],
            hasCorrectiveActions: true,
            records: [.init(kind: "Determination", outcome: "Provisional", text: "Two level-2 gaps <noted>.", when: "1 Feb 2027")], hasRecords: true, team: [], hasTeam: false,
            history: [.init(when: "1 Nov 2026 10:00 UTC", whenISO: "2026-11-01T10:00:00Z", who: "ASTRO staff", what: "Accept intake: now self-assessment", detail: nil)],
            workspacePath: WebRoute.application(id).path, verifyPath: WebRoute.verifyHistory(id).path, verification: nil, verificationOK: false)
    }

    static var pages: [(String, String, any Sendable)] {
        [
            ("sign-in", "sign-in", SignInPage(email: "a@b.example", error: "The email or password is not right.")),
            ("accept-invitation", "accept-invitation", AcceptInvitationPage(token: "t0k", error: "A password has at least 12 characters.")),
            ("change-password", "change-password", ChangePasswordPage(chrome: chrome)),
            ("error", "error", ErrorPage(chrome: .signedOut, title: "Page not found", status: 404, message: "There is no such page.")),
            ("home", "home", HomePage(chrome: chrome, applications: [.init(
                path: "/applications/a1", practiceName: "Lakeside & Co", started: "1 Nov 2026", pathwayLabel: "RPT stand-alone", stateLabel: "Self-assessment",
                nextWho: "Your practice", nextWhat: "Answer every applicable indicator.",
                deadlines: [.init(what: "Self-assessment window ends", due: "31 May 2027", dueISO: "2027-05-31T00:00:00Z")], hasDeadlines: true,
                progress: ProgressLine(.init(total: 10, answered: 4, withEvidence: 2)), hasIndicators: true,
                domains: [.init(code: "GOV", title: "Governance & licensing", progress: ProgressLine(.init(total: 3, answered: 2, withEvidence: 1)))])],
                isEmpty: false, canStart: true)),
            ("home-empty", "home", HomePage(chrome: chrome, applications: [], isEmpty: true, canStart: true)),
            ("new-application", "new-application", NewApplicationPage(
                chrome: chrome, pathways: [.init(value: "rpt-paired", label: "RPT paired with APEx", selected: true)],
                releases: [.init(value: "apex-rpt@2026.1", label: "Criteria (2026.1)", selected: true)], hasReleases: true,
                terms: [.init(value: "4", label: "4 years", selected: true), .init(value: "3", label: "3 years", selected: false)], error: nil)),
            ("workspace", "workspace", workspace()),
            ("practice", "practice", PracticePage(
                chrome: chrome, legalName: "Lakeside", licenceNumber: "L-1", regulator: "US-NRC",
                facilities: [.init(name: "Main", address: "1 Main St", kind: "Main facility")], canEdit: true,
                agents: [.init(value: "ra223", label: "Ra-223", checked: true, fieldID: "agent-ra223")], inpatientTherapy: false,
                patientSpecificDosimetry: true, siteCount: "0", licensedUseTypes: "1", jurisdiction: "US-NRC", error: "site_count is 1 to 1000.",
                siteCountError: "site_count is 1 to 1000.", hasCriteria: true, releaseLabel: "Criteria (2026.1)",
                always: [.init(code: "GOV-01", title: "Licence", reason: "Applies to every RPT practice.")], alwaysCount: 1,
                applicable: [.init(code: "STF-05", title: "Inpatient instruction", reason: "The practice declares inpatient RPT.")], notApplicable: [],
                applicableCount: 2, notApplicableCount: 0)),
            ("people", "people", PeoplePage(
                chrome: chrome, people: [.init(name: "Priya", email: "admin@lakeside.example", roleLabel: "Practice administrator")],
                pending: [.init(name: "Tom", email: "tom@lakeside.example", roleLabel: "Practice contributor", expires: "2 Dec 2026 10:00 UTC")],
                hasPending: true, canInvite: true, roles: [.init(value: "practice-contributor", label: "Practice contributor", selected: true)],
                email: "", displayName: "", error: nil, invitationLink: "http://127.0.0.1:8080/invitations/accept?token=abc", invitedEmail: "tom@lakeside.example")),
        ]
    }

    /// Every stored property of every page model is readable by the templates (Pages+Mustache.swift).
    @Test func everyFieldOfEveryPageModelIsInItsTable() throws {
        func check<Model: PageModel>(_ model: Model) {
            let labels = Set(Mirror(reflecting: model).children.compactMap(\.label))
            #expect(labels == Set(Model.mustacheFields.keys), "\(Model.self): \(labels.symmetricDifference(Model.mustacheFields.keys))")
            for child in Mirror(reflecting: model).children {
                guard let value = child.value as? any PageModel else { continue }
                checkAny(value)
            }
        }
        func checkAny(_ model: any PageModel) { check(model) }
        for (_, _, model) in Self.pages { if let model = model as? any PageModel { checkAny(model) } }
        let page = Self.workspace()
        for value: any PageModel in [page.actions[0], page.actions[0].concerns[0], page.domains[0], page.domains[0].standards[0],
                                     page.domains[0].standards[0].indicators[0], page.domains[0].standards[0].indicators[0].evidence[0],
                                     page.documents[0], page.upload.kinds[0], page.notApplicable[0], page.rfis[0], page.correctiveActions[0],
                                     page.history[0], page.upload, page.progress, page.records[0]] { checkAny(value) }
        checkAny(WorkspacePage.TeamMember(name: "n", discipline: nil, stateLabel: "s"))
        checkAny(Notice(text: "t", isError: false))
        checkAny(DeadlineLine(what: "w", due: "d", dueISO: "i"))
        for (_, _, model) in Self.pages {
            if let home = model as? HomePage, let line = home.applications.first { checkAny(line); checkAny(line.domains[0]) }
            if let new = model as? NewApplicationPage { checkAny(new.pathways[0]) }
            if let practice = model as? PracticePage {
                checkAny(practice.facilities[0]); checkAny(practice.agents[0]); checkAny(practice.always[0])
            }
            if let people = model as? PeoplePage { checkAny(people.people[0]); checkAny(people.pending[0]); checkAny(people.roles[0]) }
        }
    }

    @Test(arguments: [
        "", "plain", PagePlaceholders.csrf, PagePlaceholders.name + PagePlaceholders.csrf,
        "<a>\(PagePlaceholders.csrf)</a> \(PagePlaceholders.name) é \(PagePlaceholders.csrf)",
        "apex-placeholder-cs " + "apex-placeholder-csrf-7c1" + "apex-placeholder-name-7c1e!",
    ])
    func placeholdersAreFilledLikeStringReplacement(_ html: String) async throws {
        let renderer = try await PageRenderer.bundled()
        let identity = Identity(personID: UUID(), role: .practiceAdmin, practiceID: UUID(), displayName: "Ann <& \"Bo\">", email: "a@b.c")
        let filled = PagePlaceholders.fill(.init(html), identity: identity, sessionToken: "tok", renderer: renderer)
        let expected = html.replacingOccurrences(of: PagePlaceholders.csrf, with: CSRFToken.of(session: "tok"))
            .replacingOccurrences(of: PagePlaceholders.name, with: "Ann &lt;&amp; &quot;Bo&quot;&gt;")
        #expect(String(buffer: filled) == expected)
    }

    @Test func pagesMatchTheirGoldenFiles() async throws {
        let renderer = try await PageRenderer.bundled()
        let update = ProcessInfo.processInfo.environment["APEX_UPDATE_GOLDEN"] == "1"
        try FileManager.default.createDirectory(at: Self.golden, withIntermediateDirectories: true)
        for (name, template, model) in Self.pages {
            let html = try renderer.html(template, model)
            let file = Self.golden.appendingPathComponent(name + ".html")
            if update {
                try html.write(to: file, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try String(contentsOf: file, encoding: .utf8)
            #expect(html == expected, "\(name).html differs; run with APEX_UPDATE_GOLDEN=1 and review the diff")
            // Whatever the golden says: user values never come out as markup.
            #expect(!html.contains("<Raman>") && !html.contains("<scan>") && !html.contains("<uses>"), "\(name)")
        }
    }
}
