import AccreditationCore
import Foundation
import Persistence
import PostgresNIO
import TestSupport
import Testing

/// Every guard, refused and allowed, against the real database.
@Suite struct WorkflowGuardTests {
    @Test func selfAssessmentNeedsEveryResponseAndLevelOneEvidence() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .selfAssessment)
            await #expect(throws: WorkflowError.refused(.guardFailed(.everyApplicableIndicatorAnswered, reason: "no self-assessment response for GOV-01, GOV-02"))) {
                try await world.fire(.submitSelfAssessment, application, by: world.admin)
            }
            try await world.store.respond(application: application, indicator: "GOV-01", answer: "Yes.", actor: world.contributor)
            try await world.store.respond(application: application, indicator: "GOV-02", answer: "Yes.", actor: world.contributor)
            await #expect(throws: WorkflowError.refused(.guardFailed(.levelOneEvidenceUploaded, reason: "no evidence document for level-1 indicator(s) GOV-01"))) {
                try await world.fire(.submitSelfAssessment, application, by: world.admin)
            }
            // Evidence for a level-2 indicator does not count for a level-1 one.
            _ = try await world.store.addEvidence(application: application, world.evidence("plan"), indicators: ["GOV-02"], actor: world.contributor)
            await #expect(throws: WorkflowError.self) { try await world.fire(.submitSelfAssessment, application, by: world.admin) }
            _ = try await world.store.addEvidence(application: application, world.evidence("licence"), indicators: ["GOV-01"], actor: world.contributor)
            try await world.fire(.submitSelfAssessment, application, by: world.admin)
            #expect(try await world.state(application) == "document-review")
        }
    }

    @Test func responsesOnlyForApplicableIndicatorsAndOpenSelfAssessment() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            await #expect(throws: WorkflowError.invalid("Cannot answer the self-assessment while the application is draft.")) {
                try await world.store.respond(application: application, indicator: "GOV-01", answer: "Yes.", actor: world.admin)
            }
            try await world.advance(application, to: .selfAssessment)
            await #expect(throws: WorkflowError.invalid("Indicator RPS-05 does not apply to this application.")) {
                try await world.store.respond(application: application, indicator: "RPS-05", answer: "Yes.", actor: world.admin)
            }
        }
    }

    @Test func visitNeedsAnAcceptedOncologistAndPhysicist() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .readyForVisit)
            let visit = ["mode": "virtual", "date": "2026-12-01"]
            await #expect(throws: WorkflowError.refused(.guardFailed(.surveyTeamComplete, reason: "the accepted survey team lacks a radiation-oncologist and a medical-physicist"))) {
                try await world.fire(.scheduleVisit, application, by: world.staff, payload: visit)
            }
            try await world.acceptTeam(application, [world.oncologist])
            // A proposed (not yet accepted) physicist does not complete the team.
            _ = try await world.store.proposeAssignment(application: application, surveyor: world.physicist.id!, actor: world.staff)
            await #expect(throws: WorkflowError.refused(.guardFailed(.surveyTeamComplete, reason: "the accepted survey team lacks a medical-physicist"))) {
                try await world.fire(.scheduleVisit, application, by: world.staff, payload: visit)
            }
            try await world.acceptTeam(application, [world.staffPhysicist])
            try await world.fire(.scheduleVisit, application, by: world.staff, payload: visit)
            #expect(try await world.state(application) == "visit-scheduled")
        }
    }

    @Test func anAffiliatedSurveyorCannotBeAssigned() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .documentReview)
            await #expect(throws: WorkflowError.refused(.guardFailed(.noConflictOfInterest,
                reason: "conflict of interest: consulting physicist at facility Hilltop Satellite of the practice's network"))) {
                _ = try await world.store.proposeAssignment(application: application, surveyor: world.affiliatedSurveyor.id!, actor: world.staff)
            }
            // An affiliation declared after the proposal still blocks acceptance.
            let assignment = try await world.store.proposeAssignment(application: application, surveyor: world.oncologist.id!, actor: world.staff)
            try await world.store.declareAffiliation(surveyor: world.oncologist.id!, practiceID: world.practice, nature: "part-time employment")
            await #expect(throws: WorkflowError.refused(.guardFailed(.noConflictOfInterest, reason: "conflict of interest: part-time employment with the practice"))) {
                try await world.store.fire(.accept, assignment: assignment, actor: world.oncologist, expectedVersion: 1, attestation: "No conflict.")
            }
        }
    }

    @Test func acceptingNeedsASignedAttestationByTheAssignedSurveyor() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .documentReview)
            let assignment = try await world.store.proposeAssignment(application: application, surveyor: world.oncologist.id!, actor: world.staff)
            await #expect(throws: WorkflowError.refused(.guardFailed(.attestationSigned, reason: "the conflict-of-interest attestation is not signed"))) {
                try await world.store.fire(.accept, assignment: assignment, actor: world.oncologist, expectedVersion: 1, attestation: "  ")
            }
            await #expect(throws: WorkflowError.refused(.roleNotAllowed(action: "accept", role: .surveyor))) {
                try await world.store.fire(.accept, assignment: assignment, actor: world.physicist, expectedVersion: 1, attestation: "No conflict.")
            }
            try await world.store.fire(.accept, assignment: assignment, actor: world.oncologist, expectedVersion: 1, attestation: "No conflict.")
        }
    }

    @Test func reportNeedsEveryApplicableIndicatorScored() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .visitCompleted)
            try await world.store.score(application: application, indicator: "GOV-01", value: .compliant, rationale: "Seen.", actor: world.oncologist)
            await #expect(throws: WorkflowError.refused(.guardFailed(.everyApplicableIndicatorScored, reason: "no score for GOV-02"))) {
                try await world.fire(.submitReport, application, by: world.oncologist)
            }
            await #expect(throws: WorkflowError.invalid("Only a surveyor who accepted an assignment on this application may score it.")) {
                try await world.store.score(application: application, indicator: "GOV-02", value: .compliant, rationale: "x", actor: world.staffPhysicist)
            }
        }
    }

    @Test func accreditedNeedsEveryLevelOneIndicatorCompliant() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .committeeReview, scores: ["GOV-01": .nonCompliant, "GOV-02": .nonCompliant])
            await #expect(throws: WorkflowError.refused(.guardFailed(.levelOneCompliant, reason: "level-1 indicator(s) not compliant: GOV-01"))) {
                try await world.fire(.accredit, application, by: world.staff)
            }
        }
    }

    @Test func theDeciderCannotBeASurveyorOnTheApplication() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .readyForVisit)
            try await world.acceptTeam(application, [world.oncologist, world.staffPhysicist])
            try await world.fire(.scheduleVisit, application, by: world.staff, payload: ["mode": "on-site", "date": "2026-11-02"])
            try await world.advance(application, to: .committeeReview)
            await #expect(throws: WorkflowError.refused(.guardFailed(.deciderIsNotSurveyor, reason: "the person deciding is a surveyor on this application"))) {
                try await world.fire(.accredit, application, by: world.staffPhysicist)
            }
            try await world.fire(.accredit, application, by: world.otherStaff)
            #expect(try await world.state(application) == "accredited")
        }
    }

    @Test func theAppealMustComeWithinItsWindow() async throws {
        try await WorkflowWorld.with(settings: { var s = WorkflowSettings(); s.appealWindowDays = 30; return s }()) { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .committeeReview, scores: ["GOV-01": .nonCompliant])
            try await world.fire(.deny, application, by: world.staff)
            world.clock.advance(days: 31)
            await #expect {
                try await world.fire(.appeal, application, by: world.admin, payload: ["text": "Late grounds."])
            } throws: { error in
                guard case .refused(.guardFailed(.withinAppealWindow, let reason)) = error as? WorkflowError else { return false }
                return reason.hasPrefix("the appeal window closed at 2026-10-21")
            }
        }
    }

    @Test func rolesAndStatesOutsideTheTableAreRefused() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            await #expect(throws: WorkflowError.refused(.roleNotAllowed(action: "submit", role: .practiceContributor))) {
                try await world.fire(.submit, application, by: world.contributor)
            }
            await #expect(throws: WorkflowError.refused(.notAllowedInState(action: "accredit", state: "draft"))) {
                try await world.fire(.accredit, application, by: world.staff)
            }
            try await world.advance(application, to: .committeeReview)
            await #expect(throws: WorkflowError.refused(.roleNotAllowed(action: "accredit", role: .practiceAdmin))) {
                try await world.fire(.accredit, application, by: world.admin)
            }
            try await world.advance(application, to: .accredited)
            await #expect(throws: WorkflowError.refused(.roleNotAllowed(action: "expire", role: .staff))) {
                try await world.fire(.expire, application, by: world.staff)
            }
        }
    }

    @Test func retiredReleasesTakeNoNewApplications() async throws {
        try await WorkflowWorld.with { world in
            await #expect(throws: WorkflowError.notFound("Catalog release nope@2026.1")) {
                _ = try await world.store.createApplication(practiceID: world.practice, releaseID: "nope@2026.1", pathway: .rptPaired, termYears: 4, actor: world.admin)
            }
            await #expect(throws: WorkflowError.invalid("The accreditation term is 3 or 4 years.")) {
                _ = try await world.store.createApplication(practiceID: world.practice, releaseID: WorkflowWorld.releaseID, pathway: .rptPaired, termYears: 5, actor: world.admin)
            }
            let pinned = try await world.newApplication()
            try await CatalogStore(client: world.client, logger: TestCluster.logger).retire(WorkflowWorld.releaseID)
            await #expect(throws: WorkflowError.invalid("Catalog release wf@2026.1 is retired; new applications use a published release.")) {
                _ = try await world.newApplication()
            }
            // What was started on it carries on.
            try await world.fire(.submit, pinned, by: world.admin)
        }
    }

    @Test func surveyorsAreProposedOnlyWhileTheSurveyIsOpenAndOnce() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            await #expect(throws: WorkflowError.invalid("Cannot propose a surveyor while the application is draft.")) {
                _ = try await world.store.proposeAssignment(application: application, surveyor: world.oncologist.id!, actor: world.staff)
            }
            try await world.advance(application, to: .documentReview)
            let assignment = try await world.store.proposeAssignment(application: application, surveyor: world.oncologist.id!, actor: world.staff)
            await #expect(throws: WorkflowError.invalid("This surveyor is already proposed for or on the team.")) {
                _ = try await world.store.proposeAssignment(application: application, surveyor: world.oncologist.id!, actor: world.staff)
            }
            try await world.store.fire(.accept, assignment: assignment, actor: world.oncologist, expectedVersion: 1, attestation: "No conflict.")
            // Assignments end with the determination, not by hand in the middle of the survey.
            await #expect(throws: WorkflowError.refused(.roleNotAllowed(action: "complete", role: .staff))) {
                try await world.store.fire(.complete, assignment: assignment, actor: world.staff, expectedVersion: 2)
            }
        }
    }

    @Test func levelOneIndicatorsAreNeverScoredNotApplicable() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .visitCompleted)
            await #expect(throws: WorkflowError.invalid("GOV-01 is an applicable level-1 indicator: it is compliant or not, never \"not applicable\".")) {
                try await world.store.score(application: application, indicator: "GOV-01", value: .notApplicable, rationale: "n/a", actor: world.oncologist)
            }
            try await world.store.score(application: application, indicator: "GOV-02", value: .notApplicable, rationale: "No such service.", actor: world.oncologist)
        }
    }

    @Test func peopleActOnlyAsWhoTheyAreAndOnTheirOwnPractice() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            let elsewhere = try await world.store.createPractice(
                PracticeRecord(legalName: "Elsewhere Oncology", address: "5 Far Rd", licenceNumber: "NRC-9", regulator: "US-NC",
                               scope: PracticeScope(agents: [.i131])),
                facilities: [FacilityRecord(name: "Elsewhere", address: "5 Far Rd", isMain: true, distanceMiles: 0)])
            let stranger = WorkflowActor(id: try await world.store.createPerson(email: "s@elsewhere.org", name: "S", role: .practiceAdmin, practiceID: elsewhere),
                                 role: .practiceAdmin)
            await #expect(throws: WorkflowError.notFound("Application \(application)")) {
                try await world.fire(.submit, application, by: stranger)
            }
            // A contributor claiming to be an admin is refused: the role comes from the database.
            await #expect(throws: WorkflowError.refused(.roleNotAllowed(action: "act as practice-admin", role: .practiceContributor))) {
                try await world.fire(.submit, application, by: WorkflowActor(id: world.contributor.id, role: .practiceAdmin))
            }
            await #expect(throws: WorkflowError.invalid("Only the scheduler acts without a person.")) {
                try await world.fire(.submit, application, by: WorkflowActor(id: nil, role: .practiceAdmin))
            }
            await #expect(throws: WorkflowError.refused(.roleNotAllowed(action: "respond", role: .staff))) {
                try await world.store.respond(application: application, indicator: "GOV-01", answer: "x", actor: world.staff)
            }
        }
    }

    @Test func reaccreditationOpensOnlyOnce() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .accredited)
            try await world.fire(.reaccredit, application, by: world.admin)
            await #expect(throws: WorkflowError.refused(.guardFailed(.noReaccreditationOpen, reason: "a reaccreditation cycle was already opened from this application"))) {
                try await world.fire(.reaccredit, application, by: world.staff)
            }
        }
    }

    @Test func correctiveActionResponseNeedsEveryItemSubmitted() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .committeeReview, scores: ["GOV-01": .partiallyCompliant, "GOV-02": .nonCompliant])
            try await world.fire(.grantProvisional, application, by: world.staff)
            try await world.fire(.requireCorrectiveAction, application, by: world.staff)
            let items = try await world.store.correctiveActions(application: application)
            #expect(items.map(\.indicator) == ["GOV-01", "GOV-02"])
            try await world.store.fire(.submit, correctiveAction: items[0].id, actor: world.admin, expectedVersion: items[0].version, response: "Fixed.")
            await #expect(throws: WorkflowError.refused(.guardFailed(.correctiveActionsSubmitted, reason: "corrective action(s) not submitted for GOV-02"))) {
                try await world.fire(.submitCorrectiveAction, application, by: world.admin)
            }
        }
    }

    @Test func visitDatesAreCalendarDates() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .readyForVisit)
            try await world.acceptTeam(application, [world.oncologist, world.physicist])
            await #expect(throws: WorkflowError.invalid("'schedule-visit' needs date: a calendar date, YYYY-MM-DD.")) {
                try await world.fire(.scheduleVisit, application, by: world.staff, payload: ["mode": "virtual", "date": "2026-02-30"])
            }
            await #expect(throws: WorkflowError.invalid("'schedule-visit' needs mode: on-site or virtual.")) {
                try await world.fire(.scheduleVisit, application, by: world.staff, payload: ["mode": "by-post", "date": "2026-02-20"])
            }
        }
    }
}
