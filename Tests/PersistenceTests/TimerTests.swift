import AccreditationCore
import Foundation
import Persistence
import PostgresNIO
import TestSupport
import Testing

/// Deadlines are stored timers; the tests move a manual clock and never sleep.
@Suite struct TimerTests {
    @Test func nothingFiresBeforeItIsDue() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .selfAssessment)
            world.clock.advance(days: 182)
            #expect(try await world.store.fireDueTimers() == .init(fired: 0, skipped: 0))
            #expect(try await world.state(application) == "self-assessment")
        }
    }

    @Test func aLapsedSelfAssessmentWindowWithdrawsTheApplication() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .selfAssessment)
            world.clock.advance(days: 184)
            #expect(try await world.store.fireDueTimers() == .init(fired: 1, skipped: 0))
            #expect(try await world.state(application) == "withdrawn")
            let last = try #require(try await world.store.history(of: application).last)
            #expect(last.action == "lapse-self-assessment" && last.actorRole == "system" && last.actorID == nil)
        }
    }

    @Test func submittingTheSelfAssessmentCancelsItsDeadline() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .documentReview)
            world.clock.advance(days: 400)
            #expect(try await world.store.fireDueTimers() == .init(fired: 0, skipped: 0))
            #expect(try await world.state(application) == "document-review")
        }
    }

    @Test func catchUpAfterDowntimeFiresRemindersThenExpiryInOrder() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .accredited)
            // The service was down for the whole term: everything due fires on the next run, oldest first.
            world.clock.advance(days: 3 * 366)
            #expect(try await world.store.fireDueTimers() == .init(fired: 3, skipped: 0))
            #expect(try await world.state(application) == "expired")
            let actions = try await world.store.history(of: application).suffix(3).map(\.action)
            #expect(actions == ["remind-expiry", "remind-expiry", "expire"])
            #expect(try await HistoryChain(client: world.client, logger: TestCluster.logger).verify(application: application).isIntact)
        }
    }

    @Test func aTimerWhoseTransitionNoLongerAppliesIsSpentNotRetried() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .accredited)
            try await world.fire(.withdraw, application, by: world.admin)
            world.clock.advance(days: 3 * 366)
            // Withdrawing cancelled the reminders and the expiry (close-records), so nothing is even claimed.
            #expect(try await world.store.fireDueTimers() == .init(fired: 0, skipped: 0))
            #expect(try await world.state(application) == "withdrawn")
        }
    }

    @Test func appealWindowClosesAndRFIsAndCorrectiveActionsGoOverdue() async throws {
        try await WorkflowWorld.with { world in
            let denied = try await world.newApplication()
            try await world.advance(denied, to: .committeeReview, scores: ["GOV-01": .nonCompliant])
            let rfi = try await world.store.openRFI(application: denied, indicator: nil, question: "Send the survey meter certificate.", actor: world.staff)
            try await world.fire(.deny, denied, by: world.staff)
            let provisional = try await world.newApplication()
            try await world.advance(provisional, to: .committeeReview, scores: ["GOV-02": .nonCompliant])
            try await world.fire(.grantProvisional, provisional, by: world.staff)
            try await world.fire(.requireCorrectiveAction, provisional, by: world.staff)
            world.clock.advance(days: 91)
            #expect(try await world.store.fireDueTimers() == .init(fired: 3, skipped: 0))
            #expect(try await world.state(denied) == "denial-final")
            let rfiStates = try await world.store.history(of: denied).filter { $0.subjectID == rfi }.map(\.toState)
            #expect(rfiStates == ["open", "overdue"])
            #expect(try await world.store.correctiveActions(application: provisional).map(\.state) == ["overdue"])
        }
    }

    @Test func twoSchedulersRacingFireEachTimerOnce() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .documentReview)
            var rfis: [UUID] = []
            for index in 0..<24 {
                rfis.append(try await world.store.openRFI(application: application, indicator: nil, question: "Question \(index)?", actor: world.staff))
            }
            world.clock.advance(days: 31)
            // Two replicas, each with its own pool, claim timers at the same time.
            let runs = try await withThrowingTaskGroup(of: WorkflowStore.TimerRun.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await Database.withClient(world.database, logger: TestCluster.logger) { client in
                            let replica = WorkflowStore(client: client, logger: TestCluster.logger, clock: world.clock)
                            return try await replica.fireDueTimers()
                        }
                    }
                }
                return try await group.reduce(into: [WorkflowStore.TimerRun]()) { $0.append($1) }
            }
            #expect(runs.map(\.fired).reduce(0, +) == 24)
            #expect(runs.map(\.skipped).reduce(0, +) == 0)
            let overdue = try await world.store.history(of: application).filter { $0.action == "mark-overdue" }
            #expect(overdue.count == 24 && Set(overdue.map(\.subjectID)) == Set(rfis))
            #expect(try await HistoryChain(client: world.client, logger: TestCluster.logger).verify().isIntact)
        }
    }

    @Test func aTimerFromAnEarlierDenialDoesNotEndALaterAppealWindow() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .committeeReview, scores: ["GOV-01": .nonCompliant])
            try await world.fire(.deny, application, by: world.staff)                 // window until day 30
            world.clock.advance(days: 2)
            try await world.fire(.appeal, application, by: world.admin, payload: ["text": "New evidence."])
            world.clock.advance(days: 3)
            try await world.fire(.returnToCommittee, application, by: world.staff)
            world.clock.advance(days: 5)
            try await world.fire(.deny, application, by: world.staff)                 // day 10: window until day 40
            world.clock.advance(days: 21)                                              // day 31
            _ = try await world.store.fireDueTimers()
            #expect(try await world.state(application) == "denied", "the first window's timer must not close the second")
            world.clock.advance(days: 10)                                              // day 41
            _ = try await world.store.fireDueTimers()
            #expect(try await world.state(application) == "denial-final")
        }
    }
}
