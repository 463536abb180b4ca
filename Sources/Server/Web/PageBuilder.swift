import AccreditationCore
import Foundation
import Persistence
import UseCases

/// Turns the use cases' read models into page view models. Pure: golden-file tests call it with fixed
/// read models.
enum PageBuilder {
    static func line(_ line: ApplicationSummaryLine) -> HomePage.Line {
        HomePage.Line(
            path: WebRoute.application(line.application.summary.id).path,
            practiceName: line.application.practiceName,
            started: Labels.date(line.application.createdAt),
            pathwayLabel: Labels.pathway(line.pathway),
            stateLabel: Labels.state(line.state.rawValue),
            nextWho: line.nextStep.who.rawValue, nextWhat: line.nextStep.what,
            deadlines: line.deadlines.map { DeadlineLine(what: $0.what, due: Labels.date($0.due), dueISO: Labels.iso($0.due)) },
            hasDeadlines: !line.deadlines.isEmpty,
            progress: ProgressLine(line.progress), hasIndicators: line.progress.total > 0,
            domains: line.domains.map { .init(code: $0.code, title: $0.title, progress: ProgressLine($0.progress)) })
    }

    static func workspace(_ detail: ApplicationDetail, chrome: Chrome, maxUploadBytes: Int) -> WorkspacePage {
        let id = detail.application.summary.id
        let options = detail.options
        let canRespond = options.allows(.respond)
        let canLink = options.allows(.linkEvidence)
        let applicableCodes = detail.domains.flatMap { $0.standards.flatMap { $0.indicators.map(\.indicator) } }
        let indicatorChoices = applicableCodes.map { WorkspacePage.Choice(value: $0.code, label: "\($0.code) \($0.title)", fieldID: "") }
        // Scheduling the visit needs a date and a mode, which only the staff pages (issue 13) and the API
        // ask for; a bare button would only be refused.
        let actions = options.transitions.filter { $0.action != .scheduleVisit }.map { transition in
            WorkspacePage.ActionButton(
                label: Labels.action(transition.action),
                moreConcerns: transition.concerns.count > 12 ? "and \(transition.concerns.count - 12) more" : nil,
                path: WebRoute.fire(id, transition.action).path, version: options.version,
                blockedBecause: transition.blockedBecause.map(sentence),
                concerns: transition.concerns.prefix(12).map { .init(code: $0, anchor: WebRoute.anchor($0)) }, hasConcerns: !transition.concerns.isEmpty,
                needsText: Labels.text(for: transition.action) != nil, textLabel: Labels.text(for: transition.action) ?? "",
                isWithdraw: transition.action == .withdraw)
        }
        let domains = detail.domains.map { domain in
            WorkspacePage.Domain(
                code: domain.domain.code, title: domain.domain.title, progress: ProgressLine(domain.progress),
                isOpen: canRespond && domain.progress.answered < domain.progress.total,
                standards: domain.standards.map { standard in
                    WorkspacePage.Standard(code: standard.standard.code, title: standard.standard.title, indicators: standard.indicators.map { work in
                        let indicator = work.indicator
                        return WorkspacePage.IndicatorLine(
                            code: indicator.code, anchor: WebRoute.anchor(indicator.code), title: indicator.title,
                            requirement: indicator.requirement, guidance: indicator.guidance, levelLabel: Labels.level(indicator.level),
                            reason: work.decision.reason, expectedEvidence: indicator.evidence.map { "\(Labels.evidenceKind($0.kind)): \($0.description)" },
                            answered: work.response != nil, answer: work.response?.answer ?? "", draft: work.response?.answer ?? "",
                            version: work.response.map { String($0.version) } ?? "",
                            respondPath: (try? IndicatorCode(indicator.code)).map { WebRoute.respond(id, $0).path } ?? "",
                            canRespond: canRespond,
                            evidence: work.evidence.map {
                                .init(title: $0.metadata.title, path: WebRoute.downloadEvidence(id, document: $0.id).path, stateLabel: Labels.state($0.state.rawValue))
                            },
                            hasEvidence: !work.evidence.isEmpty, error: nil, stale: nil, fieldID: "answer-" + indicator.code)
                    })
                })
        }
        let documents = detail.evidence.reversed().map { document in
            WorkspacePage.Document(
                id: WebRoute.id(document.id), title: document.metadata.title, fileName: document.metadata.fileName,
                kindLabel: Labels.evidenceKind(document.metadata.kind), size: Labels.bytes(document.metadata.byteCount),
                stateLabel: Labels.state(document.state.rawValue), uploaded: Labels.time(document.uploadedAt),
                indicators: document.indicators.joined(separator: ", "),
                downloadPath: WebRoute.downloadEvidence(id, document: document.id).path)
        }
        let replaceable = detail.evidence.reversed().filter { $0.state != .superseded }.map {
            WorkspacePage.Choice(value: WebRoute.id($0.id), label: "\($0.metadata.title) (\($0.metadata.fileName))", fieldID: "")
        }
        let term = detail.application.summary.termStart.flatMap { start in
            detail.application.summary.termEnd.map { "\(start) to \($0)" }
        } ?? "\(detail.application.termYears)-year term, starts on accreditation"
        return WorkspacePage(
            chrome: chrome, title: "\(detail.application.practiceName): \(Labels.pathway(detail.pathway))", notice: nil,
            practiceName: detail.application.practiceName, stateLabel: Labels.state(detail.state.rawValue),
            pathwayLabel: Labels.pathway(detail.pathway), releaseLabel: "\(detail.release.title) (\(detail.release.version))",
            termLabel: term, nextWho: detail.nextStep.who.rawValue, nextWhat: detail.nextStep.what,
            selfAssessmentEnds: detail.selfAssessmentEnds.map(Labels.date),
            version: options.version, progress: ProgressLine(detail.progress),
            actions: actions, hasActions: !actions.isEmpty, domains: domains,
            notApplicable: detail.notApplicable.map { .init(code: $0.indicator.indicator.code, title: $0.indicator.indicator.title, reason: $0.reason) },
            hasNotApplicable: !detail.notApplicable.isEmpty,
            documents: Array(documents), hasDocuments: !documents.isEmpty,
            canUpload: options.allows(.uploadEvidence),
            upload: .init(path: WebRoute.uploadEvidence(id).path, formPath: WebRoute.uploadForm(id).path,
                          replaceable: replaceable, canReplace: !replaceable.isEmpty, maxBytes: maxUploadBytes, maxLabel: Labels.bytes(Int64(maxUploadBytes)),
                          kinds: EvidenceKind.allCases.map { .init(value: $0.rawValue, label: Labels.evidenceKind($0), fieldID: "") },
                          indicators: indicatorChoices.map { .init(value: $0.value, label: $0.label, fieldID: "upload-" + $0.value) },
                          today: CalendarDate(utcDayOf: Date()).description),
            canLink: canLink && !replaceable.isEmpty, linkPath: WebRoute.link(id).path,
            linkChoices: indicatorChoices.map { .init(value: $0.value, label: $0.label, fieldID: "link-" + $0.value) },
            rfis: detail.rfis.map { rfi in
                WorkspacePage.RFI(
                    question: rfi.question, indicator: rfi.indicator, stateLabel: Labels.state(rfi.state.rawValue), due: Labels.date(rfi.dueAt),
                    answer: rfi.answer, canAnswer: may(Workflows.rfi, rfi.state, .answer, chrome.role),
                    answerPath: WebRoute.answerRFI(id, rfi: rfi.id).path, version: rfi.version, fieldID: "rfi-" + WebRoute.id(rfi.id),
                    draft: "", error: nil)
            },
            hasRFIs: !detail.rfis.isEmpty,
            correctiveActions: detail.correctiveActions.map { item in
                WorkspacePage.CorrectiveAction(
                    indicator: item.indicator, description: item.description, stateLabel: Labels.state(item.state.rawValue), due: Labels.date(item.dueAt),
                    response: item.response,
                    canAnswer: may(Workflows.correctiveAction, item.state, .submit, chrome.role),
                    answerPath: WebRoute.answerCorrectiveAction(id, item: item.id).path, version: item.version,
                    fieldID: "ca-" + WebRoute.id(item.id), draft: item.response ?? "", error: nil)
            },
            hasCorrectiveActions: !detail.correctiveActions.isEmpty,
            records: detail.records.map {
                .init(kind: Labels.state($0.kind), outcome: $0.outcome.map(Labels.state), text: $0.text, when: Labels.date($0.at))
            },
            hasRecords: !detail.records.isEmpty,
            team: detail.team.map { .init(name: $0.surveyorName, discipline: Labels.discipline($0.discipline), stateLabel: Labels.state($0.state.rawValue)) },
            hasTeam: !detail.team.isEmpty,
            history: detail.history.reversed().map(event),
            workspacePath: WebRoute.application(id).path, verifyPath: WebRoute.verifyHistory(id).path, verification: nil, verificationOK: false)
    }

    /// Whether `role` may fire `action` on a record in `state`: the record's own transition table answers
    /// (the store asks it again, with the guards, when the form is sent).
    static func may<State, Action>(_ machine: StateMachine<State, Action>, _ state: State, _ action: Action, _ role: Role?) -> Bool {
        guard let role, let transition = machine.transition(from: state, action: action) else { return false }
        return transition.roles.contains(role)
    }

    /// One history event as a line of the timeline, in words: what happened, to which indicator or record.
    static func event(_ event: HistoryEvent) -> WorkspacePage.Event {
        let when = Date(timeIntervalSince1970: Double(event.occurredAtMicros) / 1_000_000)
        let who = event.actorRole == Role.system.rawValue ? "The system" : Labels.role(Role(rawValue: event.actorRole) ?? .system)
        let payload = (try? JSONSerialization.jsonObject(with: Data(event.payload.utf8))) as? [String: Any] ?? [:]
        let indicator = (payload["indicator"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        let what: String
        switch (event.machine, event.action) {
        case ("application", let action):
            let label = ApplicationAction(rawValue: action).map(Labels.action) ?? Labels.state(action)
            what = event.fromState == nil ? "Started the application" : "\(label): now \(Labels.state(event.toState).lowercased())"
        case ("response", _): what = "Answered \(indicator ?? "an indicator")"
        case ("score", _): what = "Scored \(indicator ?? "an indicator") \(Labels.state(event.toState).lowercased())"
        case ("evidence", "upload"), ("evidence", "add"): what = "Added an evidence document"
        case ("evidence", "link"): what = "Linked a document to more indicators"
        case ("evidence", let action): what = "Evidence: \(Labels.state(action).lowercased()), now \(Labels.state(event.toState).lowercased())"
        case ("rfi", "open"): what = "Asked for information" + (indicator.map { " on \($0)" } ?? "")
        case ("rfi", "answer"): what = "Answered a request for information"
        case ("rfi", let action): what = "Request for information: \(Labels.state(action).lowercased())"
        case ("assignment", let action): what = "Survey team: \(Labels.state(action).lowercased())"
        case ("corrective-action", let action): what = "Corrective action: \(Labels.state(action).lowercased())"
        default: what = "\(Labels.state(event.machine)): \(Labels.state(event.action).lowercased())"
        }
        // Free text typed with the action (a reason, a question); scores' rationales and RFI questions are shown elsewhere.
        let detail = event.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        return .init(when: Labels.time(when), whenISO: Labels.iso(when), who: who, what: what, detail: detail.isEmpty || event.machine == "score" ? nil : detail)
    }

    /// A refusal as a sentence a person can act on.
    static func sentence(_ error: WorkflowError) -> String {
        switch error {
        case let .refused(.guardFailed(_, reason)): sentence(reason)
        case .stale: "Someone changed this application while you were looking at it. The page now shows the current state; check it and try again."
        default: error.description
        }
    }

    static func sentence(_ text: String) -> String {
        guard let first = text.first else { return text }
        let capitalised = first.uppercased() + text.dropFirst()
        return capitalised.hasSuffix(".") ? capitalised : capitalised + "."
    }

    /// The confirmation shown after a redirect, from the `done` query value.
    static func doneNotice(_ done: String) -> Notice? {
        switch done {
        case "answered": Notice(text: "Answer saved.", isError: false)
        case "linked": Notice(text: "Document linked.", isError: false)
        case "uploaded": Notice(text: "Document uploaded.", isError: false)
        case "rfi-answered": Notice(text: "Your answer was sent.", isError: false)
        case "corrective-action-answered": Notice(text: "Corrective action submitted.", isError: false)
        default: ApplicationAction(rawValue: done).map { Notice(text: "Done: \(Labels.action($0).lowercased()).", isError: false) }
        }
    }
}

extension WorkspacePage {
    /// Shows `answer` (what the person typed) in the indicator's form again, with the refusal.
    mutating func keep(answer: String, for code: String, error: String? = nil, stale: String? = nil) {
        for d in domains.indices {
            for s in domains[d].standards.indices {
                for i in domains[d].standards[s].indicators.indices where domains[d].standards[s].indicators[i].code == code {
                    domains[d].standards[s].indicators[i].draft = answer
                    domains[d].standards[s].indicators[i].error = error
                    domains[d].standards[s].indicators[i].stale = stale
                }
            }
        }
        notice = Notice(text: stale ?? error.map { "\(code): \($0)" } ?? "", isError: true)
    }

    mutating func keep(correctiveResponse: String, for item: UUID, error: String) {
        for index in correctiveActions.indices where correctiveActions[index].fieldID == "ca-" + WebRoute.id(item) {
            correctiveActions[index].draft = correctiveResponse
            correctiveActions[index].error = error
        }
        notice = Notice(text: error, isError: true)
    }

    mutating func keep(rfiAnswer: String, for rfi: UUID, error: String) {
        for index in rfis.indices where rfis[index].fieldID == "rfi-" + WebRoute.id(rfi) {
            rfis[index].draft = rfiAnswer
            rfis[index].error = error
        }
        notice = Notice(text: error, isError: true)
    }
}
