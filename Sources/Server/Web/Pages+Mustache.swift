// Generated from Pages.swift by scripts/gen-page-fields.py (the stored properties of each view model);
// PageTemplateTests checks it against the models, so a property added there without a line here fails a
// test. Key paths are immutable, hence nonisolated(unsafe).

import Mustache

extension Chrome: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<Chrome>] = [
        "signedIn": \Chrome.signedIn,
        "personName": \Chrome.personName,
        "roleLabel": \Chrome.roleLabel,
        "role": \Chrome.role,
        "csrf": \Chrome.csrf,
        "homePath": \Chrome.homePath,
        "signOutPath": \Chrome.signOutPath,
        "passwordPath": \Chrome.passwordPath,
        "practicePath": \Chrome.practicePath,
        "peoplePath": \Chrome.peoplePath,
        "hasPractice": \Chrome.hasPractice,
        "stylesheet": \Chrome.stylesheet,
        "script": \Chrome.script,
    ]
}

extension Notice: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<Notice>] = [
        "text": \Notice.text,
        "isError": \Notice.isError,
    ]
}

extension SignInPage: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<SignInPage>] = [
        "chrome": \SignInPage.chrome,
        "title": \SignInPage.title,
        "action": \SignInPage.action,
        "email": \SignInPage.email,
        "error": \SignInPage.error,
        "notice": \SignInPage.notice,
    ]
}

extension AcceptInvitationPage: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<AcceptInvitationPage>] = [
        "chrome": \AcceptInvitationPage.chrome,
        "title": \AcceptInvitationPage.title,
        "action": \AcceptInvitationPage.action,
        "token": \AcceptInvitationPage.token,
        "error": \AcceptInvitationPage.error,
        "minimumLength": \AcceptInvitationPage.minimumLength,
    ]
}

extension ChangePasswordPage: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<ChangePasswordPage>] = [
        "chrome": \ChangePasswordPage.chrome,
        "title": \ChangePasswordPage.title,
        "action": \ChangePasswordPage.action,
        "error": \ChangePasswordPage.error,
        "notice": \ChangePasswordPage.notice,
        "minimumLength": \ChangePasswordPage.minimumLength,
    ]
}

extension ErrorPage: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<ErrorPage>] = [
        "chrome": \ErrorPage.chrome,
        "title": \ErrorPage.title,
        "status": \ErrorPage.status,
        "message": \ErrorPage.message,
    ]
}

extension HomePage: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<HomePage>] = [
        "chrome": \HomePage.chrome,
        "title": \HomePage.title,
        "notice": \HomePage.notice,
        "applications": \HomePage.applications,
        "isEmpty": \HomePage.isEmpty,
        "canStart": \HomePage.canStart,
        "newApplicationPath": \HomePage.newApplicationPath,
    ]
}

extension HomePage.Line: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<HomePage.Line>] = [
        "path": \HomePage.Line.path,
        "practiceName": \HomePage.Line.practiceName,
        "started": \HomePage.Line.started,
        "pathwayLabel": \HomePage.Line.pathwayLabel,
        "stateLabel": \HomePage.Line.stateLabel,
        "nextWho": \HomePage.Line.nextWho,
        "nextWhat": \HomePage.Line.nextWhat,
        "deadlines": \HomePage.Line.deadlines,
        "hasDeadlines": \HomePage.Line.hasDeadlines,
        "progress": \HomePage.Line.progress,
        "hasIndicators": \HomePage.Line.hasIndicators,
        "domains": \HomePage.Line.domains,
    ]
}

extension HomePage.DomainProgress: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<HomePage.DomainProgress>] = [
        "code": \HomePage.DomainProgress.code,
        "title": \HomePage.DomainProgress.title,
        "progress": \HomePage.DomainProgress.progress,
    ]
}

extension DeadlineLine: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<DeadlineLine>] = [
        "what": \DeadlineLine.what,
        "due": \DeadlineLine.due,
        "dueISO": \DeadlineLine.dueISO,
    ]
}

extension ProgressLine: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<ProgressLine>] = [
        "answered": \ProgressLine.answered,
        "withEvidence": \ProgressLine.withEvidence,
        "total": \ProgressLine.total,
    ]
}

extension NewApplicationPage: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<NewApplicationPage>] = [
        "chrome": \NewApplicationPage.chrome,
        "title": \NewApplicationPage.title,
        "action": \NewApplicationPage.action,
        "pathways": \NewApplicationPage.pathways,
        "releases": \NewApplicationPage.releases,
        "hasReleases": \NewApplicationPage.hasReleases,
        "terms": \NewApplicationPage.terms,
        "error": \NewApplicationPage.error,
    ]
}

extension NewApplicationPage.Option: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<NewApplicationPage.Option>] = [
        "value": \NewApplicationPage.Option.value,
        "label": \NewApplicationPage.Option.label,
        "selected": \NewApplicationPage.Option.selected,
    ]
}

extension WorkspacePage: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage>] = [
        "chrome": \WorkspacePage.chrome,
        "title": \WorkspacePage.title,
        "notice": \WorkspacePage.notice,
        "practiceName": \WorkspacePage.practiceName,
        "stateLabel": \WorkspacePage.stateLabel,
        "pathwayLabel": \WorkspacePage.pathwayLabel,
        "releaseLabel": \WorkspacePage.releaseLabel,
        "termLabel": \WorkspacePage.termLabel,
        "nextWho": \WorkspacePage.nextWho,
        "nextWhat": \WorkspacePage.nextWhat,
        "selfAssessmentEnds": \WorkspacePage.selfAssessmentEnds,
        "version": \WorkspacePage.version,
        "progress": \WorkspacePage.progress,
        "actions": \WorkspacePage.actions,
        "hasActions": \WorkspacePage.hasActions,
        "domains": \WorkspacePage.domains,
        "notApplicable": \WorkspacePage.notApplicable,
        "hasNotApplicable": \WorkspacePage.hasNotApplicable,
        "documents": \WorkspacePage.documents,
        "hasDocuments": \WorkspacePage.hasDocuments,
        "canUpload": \WorkspacePage.canUpload,
        "upload": \WorkspacePage.upload,
        "canLink": \WorkspacePage.canLink,
        "linkPath": \WorkspacePage.linkPath,
        "linkChoices": \WorkspacePage.linkChoices,
        "rfis": \WorkspacePage.rfis,
        "hasRFIs": \WorkspacePage.hasRFIs,
        "correctiveActions": \WorkspacePage.correctiveActions,
        "hasCorrectiveActions": \WorkspacePage.hasCorrectiveActions,
        "records": \WorkspacePage.records,
        "hasRecords": \WorkspacePage.hasRecords,
        "team": \WorkspacePage.team,
        "hasTeam": \WorkspacePage.hasTeam,
        "history": \WorkspacePage.history,
        "workspacePath": \WorkspacePage.workspacePath,
        "verifyPath": \WorkspacePage.verifyPath,
        "verification": \WorkspacePage.verification,
        "verificationOK": \WorkspacePage.verificationOK,
    ]
}

extension WorkspacePage.ActionButton: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.ActionButton>] = [
        "label": \WorkspacePage.ActionButton.label,
        "moreConcerns": \WorkspacePage.ActionButton.moreConcerns,
        "path": \WorkspacePage.ActionButton.path,
        "version": \WorkspacePage.ActionButton.version,
        "blockedBecause": \WorkspacePage.ActionButton.blockedBecause,
        "concerns": \WorkspacePage.ActionButton.concerns,
        "hasConcerns": \WorkspacePage.ActionButton.hasConcerns,
        "needsText": \WorkspacePage.ActionButton.needsText,
        "textLabel": \WorkspacePage.ActionButton.textLabel,
        "isWithdraw": \WorkspacePage.ActionButton.isWithdraw,
    ]
}

extension WorkspacePage.Concern: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.Concern>] = [
        "code": \WorkspacePage.Concern.code,
        "anchor": \WorkspacePage.Concern.anchor,
    ]
}

extension WorkspacePage.Domain: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.Domain>] = [
        "code": \WorkspacePage.Domain.code,
        "title": \WorkspacePage.Domain.title,
        "progress": \WorkspacePage.Domain.progress,
        "isOpen": \WorkspacePage.Domain.isOpen,
        "standards": \WorkspacePage.Domain.standards,
    ]
}

extension WorkspacePage.Standard: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.Standard>] = [
        "code": \WorkspacePage.Standard.code,
        "title": \WorkspacePage.Standard.title,
        "indicators": \WorkspacePage.Standard.indicators,
    ]
}

extension WorkspacePage.IndicatorLine: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.IndicatorLine>] = [
        "code": \WorkspacePage.IndicatorLine.code,
        "anchor": \WorkspacePage.IndicatorLine.anchor,
        "title": \WorkspacePage.IndicatorLine.title,
        "requirement": \WorkspacePage.IndicatorLine.requirement,
        "guidance": \WorkspacePage.IndicatorLine.guidance,
        "levelLabel": \WorkspacePage.IndicatorLine.levelLabel,
        "reason": \WorkspacePage.IndicatorLine.reason,
        "expectedEvidence": \WorkspacePage.IndicatorLine.expectedEvidence,
        "answered": \WorkspacePage.IndicatorLine.answered,
        "answer": \WorkspacePage.IndicatorLine.answer,
        "draft": \WorkspacePage.IndicatorLine.draft,
        "version": \WorkspacePage.IndicatorLine.version,
        "respondPath": \WorkspacePage.IndicatorLine.respondPath,
        "canRespond": \WorkspacePage.IndicatorLine.canRespond,
        "evidence": \WorkspacePage.IndicatorLine.evidence,
        "hasEvidence": \WorkspacePage.IndicatorLine.hasEvidence,
        "error": \WorkspacePage.IndicatorLine.error,
        "stale": \WorkspacePage.IndicatorLine.stale,
        "fieldID": \WorkspacePage.IndicatorLine.fieldID,
    ]
}

extension WorkspacePage.DocumentLink: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.DocumentLink>] = [
        "title": \WorkspacePage.DocumentLink.title,
        "path": \WorkspacePage.DocumentLink.path,
        "stateLabel": \WorkspacePage.DocumentLink.stateLabel,
    ]
}

extension WorkspacePage.Document: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.Document>] = [
        "id": \WorkspacePage.Document.id,
        "title": \WorkspacePage.Document.title,
        "fileName": \WorkspacePage.Document.fileName,
        "kindLabel": \WorkspacePage.Document.kindLabel,
        "size": \WorkspacePage.Document.size,
        "stateLabel": \WorkspacePage.Document.stateLabel,
        "uploaded": \WorkspacePage.Document.uploaded,
        "indicators": \WorkspacePage.Document.indicators,
        "downloadPath": \WorkspacePage.Document.downloadPath,
    ]
}

extension WorkspacePage.Choice: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.Choice>] = [
        "value": \WorkspacePage.Choice.value,
        "label": \WorkspacePage.Choice.label,
        "fieldID": \WorkspacePage.Choice.fieldID,
    ]
}

extension WorkspacePage.NotApplicable: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.NotApplicable>] = [
        "code": \WorkspacePage.NotApplicable.code,
        "title": \WorkspacePage.NotApplicable.title,
        "reason": \WorkspacePage.NotApplicable.reason,
    ]
}

extension WorkspacePage.RFI: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.RFI>] = [
        "question": \WorkspacePage.RFI.question,
        "indicator": \WorkspacePage.RFI.indicator,
        "stateLabel": \WorkspacePage.RFI.stateLabel,
        "due": \WorkspacePage.RFI.due,
        "answer": \WorkspacePage.RFI.answer,
        "canAnswer": \WorkspacePage.RFI.canAnswer,
        "answerPath": \WorkspacePage.RFI.answerPath,
        "version": \WorkspacePage.RFI.version,
        "fieldID": \WorkspacePage.RFI.fieldID,
        "draft": \WorkspacePage.RFI.draft,
        "error": \WorkspacePage.RFI.error,
    ]
}

extension WorkspacePage.CorrectiveAction: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.CorrectiveAction>] = [
        "indicator": \WorkspacePage.CorrectiveAction.indicator,
        "description": \WorkspacePage.CorrectiveAction.description,
        "stateLabel": \WorkspacePage.CorrectiveAction.stateLabel,
        "due": \WorkspacePage.CorrectiveAction.due,
        "response": \WorkspacePage.CorrectiveAction.response,
        "canAnswer": \WorkspacePage.CorrectiveAction.canAnswer,
        "answerPath": \WorkspacePage.CorrectiveAction.answerPath,
        "version": \WorkspacePage.CorrectiveAction.version,
        "fieldID": \WorkspacePage.CorrectiveAction.fieldID,
        "draft": \WorkspacePage.CorrectiveAction.draft,
        "error": \WorkspacePage.CorrectiveAction.error,
    ]
}

extension WorkspacePage.Record: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.Record>] = [
        "kind": \WorkspacePage.Record.kind,
        "outcome": \WorkspacePage.Record.outcome,
        "text": \WorkspacePage.Record.text,
        "when": \WorkspacePage.Record.when,
    ]
}

extension WorkspacePage.TeamMember: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.TeamMember>] = [
        "name": \WorkspacePage.TeamMember.name,
        "discipline": \WorkspacePage.TeamMember.discipline,
        "stateLabel": \WorkspacePage.TeamMember.stateLabel,
    ]
}

extension WorkspacePage.Event: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.Event>] = [
        "when": \WorkspacePage.Event.when,
        "whenISO": \WorkspacePage.Event.whenISO,
        "who": \WorkspacePage.Event.who,
        "what": \WorkspacePage.Event.what,
        "detail": \WorkspacePage.Event.detail,
    ]
}

extension WorkspacePage.Upload: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<WorkspacePage.Upload>] = [
        "path": \WorkspacePage.Upload.path,
        "formPath": \WorkspacePage.Upload.formPath,
        "replaceable": \WorkspacePage.Upload.replaceable,
        "canReplace": \WorkspacePage.Upload.canReplace,
        "maxBytes": \WorkspacePage.Upload.maxBytes,
        "maxLabel": \WorkspacePage.Upload.maxLabel,
        "kinds": \WorkspacePage.Upload.kinds,
        "indicators": \WorkspacePage.Upload.indicators,
        "today": \WorkspacePage.Upload.today,
    ]
}

extension PracticePage: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<PracticePage>] = [
        "chrome": \PracticePage.chrome,
        "title": \PracticePage.title,
        "notice": \PracticePage.notice,
        "legalName": \PracticePage.legalName,
        "licenceNumber": \PracticePage.licenceNumber,
        "regulator": \PracticePage.regulator,
        "facilities": \PracticePage.facilities,
        "canEdit": \PracticePage.canEdit,
        "facilityAction": \PracticePage.facilityAction,
        "facilityName": \PracticePage.facilityName,
        "facilityAddress": \PracticePage.facilityAddress,
        "facilityDistance": \PracticePage.facilityDistance,
        "facilityError": \PracticePage.facilityError,
        "action": \PracticePage.action,
        "agents": \PracticePage.agents,
        "inpatientTherapy": \PracticePage.inpatientTherapy,
        "patientSpecificDosimetry": \PracticePage.patientSpecificDosimetry,
        "siteCount": \PracticePage.siteCount,
        "licensedUseTypes": \PracticePage.licensedUseTypes,
        "jurisdiction": \PracticePage.jurisdiction,
        "error": \PracticePage.error,
        "agentsError": \PracticePage.agentsError,
        "siteCountError": \PracticePage.siteCountError,
        "licensedUseTypesError": \PracticePage.licensedUseTypesError,
        "jurisdictionError": \PracticePage.jurisdictionError,
        "hasCriteria": \PracticePage.hasCriteria,
        "releaseLabel": \PracticePage.releaseLabel,
        "always": \PracticePage.always,
        "alwaysCount": \PracticePage.alwaysCount,
        "applicable": \PracticePage.applicable,
        "notApplicable": \PracticePage.notApplicable,
        "applicableCount": \PracticePage.applicableCount,
        "notApplicableCount": \PracticePage.notApplicableCount,
    ]
}

extension PracticePage.Facility: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<PracticePage.Facility>] = [
        "name": \PracticePage.Facility.name,
        "address": \PracticePage.Facility.address,
        "kind": \PracticePage.Facility.kind,
    ]
}

extension PracticePage.Check: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<PracticePage.Check>] = [
        "value": \PracticePage.Check.value,
        "label": \PracticePage.Check.label,
        "checked": \PracticePage.Check.checked,
        "fieldID": \PracticePage.Check.fieldID,
    ]
}

extension PracticePage.Criterion: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<PracticePage.Criterion>] = [
        "code": \PracticePage.Criterion.code,
        "title": \PracticePage.Criterion.title,
        "reason": \PracticePage.Criterion.reason,
    ]
}

extension PeoplePage: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<PeoplePage>] = [
        "chrome": \PeoplePage.chrome,
        "title": \PeoplePage.title,
        "people": \PeoplePage.people,
        "pending": \PeoplePage.pending,
        "hasPending": \PeoplePage.hasPending,
        "canInvite": \PeoplePage.canInvite,
        "action": \PeoplePage.action,
        "roles": \PeoplePage.roles,
        "email": \PeoplePage.email,
        "displayName": \PeoplePage.displayName,
        "error": \PeoplePage.error,
        "invitationLink": \PeoplePage.invitationLink,
        "invitedEmail": \PeoplePage.invitedEmail,
    ]
}

extension PeoplePage.Person: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<PeoplePage.Person>] = [
        "name": \PeoplePage.Person.name,
        "email": \PeoplePage.Person.email,
        "roleLabel": \PeoplePage.Person.roleLabel,
    ]
}

extension PeoplePage.Pending: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<PeoplePage.Pending>] = [
        "name": \PeoplePage.Pending.name,
        "email": \PeoplePage.Pending.email,
        "roleLabel": \PeoplePage.Pending.roleLabel,
        "expires": \PeoplePage.Pending.expires,
    ]
}

extension PeoplePage.RoleOption: PageModel {
    nonisolated(unsafe) static let mustacheFields: [String: PartialKeyPath<PeoplePage.RoleOption>] = [
        "value": \PeoplePage.RoleOption.value,
        "label": \PeoplePage.RoleOption.label,
        "selected": \PeoplePage.RoleOption.selected,
    ]
}
