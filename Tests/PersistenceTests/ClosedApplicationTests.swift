import AccreditationCore
import Foundation
import Persistence
import PostgresNIO
import TestSupport
import Testing

/// A closed application (withdrawn, expired, denial final or upheld) is history: none of its records
/// changes any more, its records' timers are cancelled when it closes, and reports of work to do leave
/// it out. The rule is the record machines' `applicationStates`, asked by the transition engine.
@Suite struct ClosedApplicationTests {
    static let refusedWhileWithdrawn: @Sendable (any Error) -> Bool = { error in
        guard case let .refused(.applicationNotOpen(_, state))? = error as? WorkflowError else { return false }
        return state == "withdrawn"
    }

    @Test func aWithdrawnApplicationsRecordsNoLongerChange() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .documentReview)
            let rfi = try await world.store.openRFI(application: application, indicator: nil, question: "Send the calibration record.", actor: world.staff)
            let document = try await world.store.addEvidence(application: application, world.evidence("procedure"), indicators: ["GOV-02"],
                                                             actor: world.contributor)
            try await world.fire(.withdraw, application, by: world.admin)

            await #expect(performing: {
                try await world.store.fire(.answer, rfi: rfi, actor: world.contributor, expectedVersion: nil, answer: "Attached.")
            }, throws: Self.refusedWhileWithdrawn)
            await #expect(performing: {
                try await world.store.fire(.accept, evidence: document, actor: world.staff, expectedVersion: nil)
            }, throws: Self.refusedWhileWithdrawn)
            await #expect(performing: {
                try await world.store.fire(.requestRevision, evidence: document, actor: world.staff, expectedVersion: nil)
            }, throws: Self.refusedWhileWithdrawn)
            // Nothing was written by the refused attempts.
            #expect(try await world.store.history(of: application).last?.action == "withdraw")
        }
    }

    @Test func closingCancelsTheRecordsTimersAndTheyLeaveTheOverdueReport() async throws {
        try await WorkflowWorld.with { world in
            let provisional = try await world.newApplication()
            try await world.advance(provisional, to: .committeeReview, scores: ["GOV-02": .nonCompliant])
            try await world.fire(.grantProvisional, provisional, by: world.staff)
            try await world.fire(.requireCorrectiveAction, provisional, by: world.staff)
            let rfi = try await world.store.openRFI(application: provisional, indicator: nil, question: "Who signs the directives?", actor: world.staff)
            let item = try #require(try await world.store.correctiveActions(application: provisional).first)
            try await world.fire(.withdraw, provisional, by: world.staff)

            world.clock.advance(days: 200)
            // The RFI and corrective-action deadlines were cancelled by the withdrawal: nothing fires.
            #expect(try await world.store.fireDueTimers() == .init(fired: 0, skipped: 0))
            #expect(try await world.store.correctiveActions(application: provisional).map(\.state) == ["open"])
            #expect(try await world.store.rfis(application: provisional).map(\.state.rawValue) == ["open"])
            #expect(try await world.store.rfis(application: nil, overdueOnly: true).isEmpty)
            await #expect(performing: {
                try await world.store.fire(.submit, correctiveAction: item.id, actor: world.admin, expectedVersion: nil, response: "Done.")
            }, throws: Self.refusedWhileWithdrawn)
            // The RFI's own deadline was marked cancelled, not left pending or spent as skipped.
            var outcomes: [String?] = []
            for try await outcome in try await world.client.query(
                "SELECT outcome FROM timers WHERE subject_id = \(rfi)", logger: TestCluster.logger
            ).decode(String?.self) { outcomes.append(outcome) }
            #expect(outcomes == ["cancelled"])
        }
    }

    @Test func overdueRecordsOfAnApplicationClosedLaterLeaveTheReport() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .documentReview)
            _ = try await world.store.openRFI(application: application, indicator: nil, question: "Send the leak tests.", actor: world.staff)
            world.clock.advance(days: 31)
            #expect(try await world.store.fireDueTimers() == .init(fired: 1, skipped: 0))
            #expect(try await world.store.rfis(application: nil, overdueOnly: true).count == 1)
            try await world.fire(.withdraw, application, by: world.admin)
            #expect(try await world.store.rfis(application: nil, overdueOnly: true).isEmpty)
            #expect(try await world.store.correctiveActionViews(application: nil, overdueOnly: true).isEmpty)
        }
    }

    @Test func everyTransitionIntoAFinalStateClosesTheRecords() {
        for transition in Workflows.application.transitions where Workflows.application.finals.contains(transition.to) {
            #expect(transition.effects.contains(.closeRecords), "\(transition.action.rawValue) closes the application but not its records")
        }
        for state in Workflows.application.finals {
            #expect(Workflows.rfi.checkApplication(state, action: .answer) != nil)
            #expect(Workflows.evidence.checkApplication(state, action: .accept) != nil)
            #expect(Workflows.correctiveAction.checkApplication(state, action: .submit) != nil)
            #expect(Workflows.assignment.checkApplication(state, action: .accept) != nil)
        }
        #expect(Workflows.rfi.checkApplication(.documentReview, action: .answer) == nil)
    }
}

/// A score judges the evidence the practice stands by now: citing a superseded version is refused.
@Suite struct ScoreCitationTests {
    @Test func aScoreMayNotCiteASupersededVersion() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .selfAssessment)
            let old = try await world.store.addEvidence(application: application, world.evidence("procedure v1"), indicators: ["GOV-02"],
                                                        actor: world.contributor)
            let current = try await world.store.addEvidence(application: application, world.evidence("procedure v2"), indicators: ["GOV-02"],
                                                            actor: world.contributor, supersedes: old)
            try await world.advance(application, to: .documentReview)
            try await world.acceptTeam(application, [world.oncologist, world.physicist])
            await #expect(performing: {
                try await world.store.score(application: application, indicator: "GOV-02", value: .compliant, rationale: "Seen.",
                                            evidence: [old], actor: world.oncologist)
            }, throws: { error in
                guard case let .invalid(message)? = error as? WorkflowError else { return false }
                return message.contains("superseded")
            })
            // Of the same kind: a current document and a superseded one together are refused as a whole.
            await #expect(throws: WorkflowError.self) {
                try await world.store.score(application: application, indicator: "GOV-02", value: .compliant, rationale: "Seen.",
                                            evidence: [current, old], actor: world.oncologist)
            }
            #expect(try await world.store.score(application: application, indicator: "GOV-02", value: .compliant, rationale: "Seen.",
                                                evidence: [current], actor: world.oncologist) == 1)
        }
    }
}

/// The term an accreditation gets does not depend on the server's time zone: the store plans it in UTC.
@Suite(.serialized) struct TermInEveryTimeZoneTests {
    @Test(arguments: ["UTC", "America/New_York", "Pacific/Kiritimati"])
    func accreditedOn29FebruaryInAnyZone(zone: String) async throws {
        let saved = ProcessInfo.processInfo.environment["TZ"]
        setenv("TZ", zone, 1)
        tzset()
        NSTimeZone.resetSystemTimeZone()
        defer {
            if let saved { setenv("TZ", saved, 1) } else { unsetenv("TZ") }
            tzset()
            NSTimeZone.resetSystemTimeZone()
        }
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .committeeReview)
            world.clock.set(Date(timeIntervalSince1970: 1_835_402_340))   // 2028-02-29T01:59:00Z
            try await world.fire(.accredit, application, by: world.staff)
            let summary = try await world.store.application(application)
            #expect(summary.termStart == "2028-02-29" && summary.termEnd == "2031-02-28", "\(zone): \(summary.termStart ?? "-") to \(summary.termEnd ?? "-")")
            var expiry: Date?
            for try await due in try await world.client.query(
                "SELECT due_at FROM timers WHERE subject_id = \(application) AND action = 'expire' AND fired_at IS NULL", logger: TestCluster.logger
            ).decode(Date.self) { expiry = due }
            #expect(expiry?.formatted(.iso8601) == "2031-03-01T00:00:00Z", "\(zone)")
        }
    }
}
