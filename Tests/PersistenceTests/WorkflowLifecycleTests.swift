import AccreditationCore
import Foundation
import Persistence
import PostgresNIO
import TestSupport
import Testing

@Suite struct WorkflowLifecycleTests {
    @Test func fromDraftToAccreditedWithItsHistory() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .accredited)
            let summary = try await world.store.application(application)
            #expect(summary.state.rawValue == "accredited")
            #expect(summary.termStart == "2026-09-21" && summary.termEnd == "2029-09-21")
            let history = try await world.store.history(of: application)
            let applicationActions = history.filter { $0.machine == "application" }.map(\.action)
            #expect(applicationActions == ["create", "submit", "begin-intake", "accept-intake", "submit-self-assessment",
                                           "complete-document-review", "schedule-visit", "complete-visit", "submit-report",
                                           "begin-committee-review", "accredit"])
            let accredit = try #require(history.last { $0.action == "accredit" })
            #expect(accredit.actorID == world.staff.id && accredit.actorRole == "staff")
            #expect(accredit.fromState == "committee-review" && accredit.toState == "accredited")
            // The determination ended the survey: both assignments are completed, by the system.
            #expect(history.filter { $0.machine == "assignment" && $0.action == "complete" && $0.actorRole == "system" }.count == 2)
            #expect(history.map(\.seq) == Array(1...history.count))
            #expect(try await HistoryChain(client: world.client, logger: TestCluster.logger).verify(application: application).isIntact)
        }
    }

    @Test func staffMayReturnAnApplicationAtIntake() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .intakeReview)
            try await world.store.fire(.returnToPractice, application: application, actor: world.staff,
                                       expectedVersion: try await world.version(application), reason: "Licence copy missing.")
            #expect(try await world.state(application) == "draft")
            #expect(try await world.store.history(of: application).last?.reason == "Licence copy missing.")
        }
    }

    @Test func revisionsLoopBackToDocumentReview() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .documentReview)
            try await world.fire(.requestRevisions, application, by: world.staff)
            #expect(try await world.state(application) == "revisions-requested")
            try await world.fire(.resubmit, application, by: world.admin)
            #expect(try await world.state(application) == "document-review")
        }
    }

    @Test func provisionalThenCorrectiveActionThenAccredited() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .committeeReview, scores: ["GOV-01": .partiallyCompliant])
            let report = try await world.store.scoreReport(application: application)
            #expect(report.recommendation.determination == .provisional)
            #expect(report.recommendation.drivers == ["GOV-01"])
            try await world.fire(.grantProvisional, application, by: world.staff)
            try await world.fire(.requireCorrectiveAction, application, by: world.staff)
            let items = try await world.store.correctiveActions(application: application)
            #expect(items.map(\.indicator) == ["GOV-01"] && items.first?.state == "open")
            let item = try #require(items.first)
            try await world.store.fire(.submit, correctiveAction: item.id, actor: world.admin, expectedVersion: item.version, response: "New procedure adopted.")
            try await world.fire(.submitCorrectiveAction, application, by: world.admin)
            // Accrediting still needs level 1 compliant: the surveyor rescoring after review is what makes it so.
            await #expect(throws: WorkflowError.refused(.guardFailed(.levelOneCompliant, reason: "level-1 indicator(s) not compliant: GOV-01"))) {
                try await world.fire(.accredit, application, by: world.staff)
            }
            try await world.store.score(application: application, indicator: "GOV-01", value: .compliant, rationale: "Fixed.",
                                        actor: world.physicist, expectedVersion: 1)
            try await world.fire(.accredit, application, by: world.staff)
            #expect(try await world.state(application) == "accredited")
        }
    }

    @Test func deniedThenAppealedWithinTheWindow() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .committeeReview, scores: ["GOV-01": .nonCompliant])
            #expect(try await world.store.scoreReport(application: application).recommendation.determination == .denied)
            try await world.fire(.deny, application, by: world.staff)
            world.clock.advance(days: 29)
            try await world.fire(.appeal, application, by: world.admin, payload: ["text": "The licence amendment was approved before the visit."])
            #expect(try await world.state(application) == "appealed")
            try await world.fire(.returnToCommittee, application, by: world.staff)
            #expect(try await world.state(application) == "committee-review")
        }
    }

    @Test func reaccreditationOpensALinkedCycle() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .accredited)
            try await world.fire(.fileChangeNotice, application, by: world.admin, payload: ["text": "New satellite in Lakeside."])
            try await world.fire(.reaccredit, application, by: world.admin)
            #expect(try await world.state(application) == "accredited")
            let next = try await world.store.applications(previous: application)
            #expect(next.count == 1)
            let cycle = try await world.store.application(next[0])
            #expect(cycle.state.rawValue == "draft" && cycle.previousApplicationID == application && cycle.releaseID == WorkflowWorld.releaseID)
        }
    }

    @Test func withdrawnFromAnyOpenStateButNotFromAFinalOne() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .readyForVisit)
            try await world.fire(.withdraw, application, by: world.admin)
            #expect(try await world.state(application) == "withdrawn")
            await #expect(throws: WorkflowError.refused(.notAllowedInState(action: "withdraw", state: "withdrawn"))) {
                try await world.fire(.withdraw, application, by: world.admin)
            }
        }
    }

    @Test func evidenceVersionsSupersedeAndOnlyCurrentOnesCount() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .selfAssessment)
            let first = try await world.store.addEvidence(application: application, world.evidence("licence-v1"), indicators: ["GOV-01", "GOV-02"], actor: world.contributor)
            let second = try await world.store.addEvidence(application: application, world.evidence("licence-v2"), indicators: ["GOV-01"],
                                                           actor: world.contributor, supersedes: first)
            let history = try await world.store.history(of: application)
            #expect(history.contains { $0.subjectID == first && $0.action == "supersede" && $0.toState == "superseded" })
            try await world.store.fire(.accept, evidence: second, actor: world.staff, expectedVersion: 1)
            await #expect(throws: WorkflowError.refused(.notAllowedInState(action: "accept", state: "superseded"))) {
                try await world.store.fire(.accept, evidence: first, actor: world.staff, expectedVersion: 2)
            }
        }
    }

    @Test func requestsForInformationAreAnsweredAndClosed() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .documentReview)
            let rfi = try await world.store.openRFI(application: application, indicator: "GOV-01", question: "Which amendment covers Lu-177?", actor: world.staff)
            try await world.store.fire(.answer, rfi: rfi, actor: world.contributor, expectedVersion: 1, answer: "Amendment 12, attached.")
            await #expect(throws: WorkflowError.refused(.roleNotAllowed(action: "close", role: .practiceAdmin))) {
                try await world.store.fire(.close, rfi: rfi, actor: world.admin, expectedVersion: 2)
            }
            try await world.store.fire(.close, rfi: rfi, actor: world.staff, expectedVersion: 2)
            let states = try await world.store.history(of: application).filter { $0.subjectID == rfi }.map(\.toState)
            #expect(states == ["open", "answered", "closed"])
        }
    }
}
