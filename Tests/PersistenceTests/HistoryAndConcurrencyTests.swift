import AccreditationCore
import Foundation
import Persistence
import PostgresNIO
import TestSupport
import Testing

@Suite struct HistoryAndConcurrencyTests {
    @Test func aStaleVersionIsAConflictNotALostUpdate() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            let seen = try await world.version(application)
            try await world.store.fire(.submit, application: application, actor: world.admin, expectedVersion: seen)
            await #expect(throws: WorkflowError.stale(expected: seen, current: seen + 1)) {
                try await world.store.fire(.withdraw, application: application, actor: world.admin, expectedVersion: seen)
            }
            #expect(try await world.state(application) == "submitted")
        }
    }

    @Test func ofConcurrentAttemptsAtOneTransitionExactlyOneWins() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            let version = try await world.version(application)
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        do {
                            _ = try await world.store.fire(.submit, application: application, actor: world.admin, expectedVersion: version)
                            return "won"
                        } catch let error as WorkflowError {
                            if case .stale = error { return "stale" }
                            return "other: \(error)"
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == "won" }.count == 1)
            #expect(outcomes.filter { $0 == "stale" }.count == 7)
            let submits = try await world.store.history(of: application).filter { $0.action == "submit" }
            #expect(submits.count == 1)
        }
    }

    @Test func editsOfOneResponseOrScoreNeverOverwriteEachOther() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .selfAssessment)
            #expect(try await world.store.respond(application: application, indicator: "GOV-01", answer: "First.", actor: world.contributor) == 1)
            // Both saw version 1; the second to save is told, not overwritten.
            #expect(try await world.store.respond(application: application, indicator: "GOV-01", answer: "Second.", actor: world.admin, expectedVersion: 1) == 2)
            await #expect(throws: WorkflowError.stale(expected: 1, current: 2)) {
                try await world.store.respond(application: application, indicator: "GOV-01", answer: "Third.", actor: world.contributor, expectedVersion: 1)
            }
            await #expect(throws: WorkflowError.stale(expected: 0, current: 2)) {
                try await world.store.respond(application: application, indicator: "GOV-01", answer: "Blind.", actor: world.contributor)
            }
            try await world.store.respond(application: application, indicator: "GOV-02", answer: "Yes.", actor: world.contributor)
            _ = try await world.store.addEvidence(application: application, world.evidence("licence"), indicators: ["GOV-01"], actor: world.contributor)
            try await world.advance(application, to: .visitCompleted)
            try await world.store.score(application: application, indicator: "GOV-01", value: .compliant, rationale: "Seen.", actor: world.oncologist)
            await #expect(throws: WorkflowError.stale(expected: 0, current: 1)) {
                try await world.store.score(application: application, indicator: "GOV-01", value: .nonCompliant, rationale: "Blind.", actor: world.physicist)
            }
        }
    }

    @Test func aFailingEffectLeavesNothingBehind() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .readyForVisit)
            try await world.acceptTeam(application, [world.oncologist, world.physicist])
            let before = try await world.store.application(application)
            let events = try await world.store.history(of: application).count
            // Make the visit record (written after the state change and the history event, in the same
            // transaction) fail, as a full disk or a broken constraint would.
            try await TestDatabase.asOwner(of: world) { owner in
                _ = try await owner.query("""
                    CREATE FUNCTION refuse_visit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'visit store unavailable'; END $$ LANGUAGE plpgsql
                    """, logger: TestCluster.logger)
                _ = try await owner.query("CREATE TRIGGER refuse_visit BEFORE INSERT ON visits FOR EACH ROW EXECUTE FUNCTION refuse_visit()", logger: TestCluster.logger)
            }
            await #expect {
                try await world.fire(.scheduleVisit, application, by: world.staff, payload: ["mode": "virtual", "date": "2026-12-01"])
            } throws: { error in Database.describe(error).contains("visit store unavailable") }
            #expect(try await world.store.application(application) == before)
            #expect(try await world.store.history(of: application).count == events)
        }
    }

    @Test func theChainVerifiesAndEditsOrDeletionsBreakIt() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            let untouched = try await world.newApplication()
            try await world.advance(application, to: .documentReview)
            try await world.advance(untouched, to: .submitted)
            let chain = HistoryChain(client: world.client, logger: TestCluster.logger)
            let clean = try await chain.verify()
            #expect(clean.isIntact && clean.applications == 2)

            let events = try await world.store.history(of: application)
            let target = events[3]
            // Tampering needs the owner to switch off the append-only trigger; the service role cannot.
            try await TestDatabase.tamper(world, "UPDATE history_events SET reason = 'nothing happened' WHERE id = \(target.id)")
            let edited = try await chain.verify()
            #expect(edited.breaks == [.init(applicationID: application, eventID: target.id, seq: target.seq,
                                           problem: "does not match its hash: the row was changed")])
            #expect(try await chain.verify(application: untouched).isIntact, "other chains are unaffected")

            try await TestDatabase.tamper(world, "UPDATE history_events SET reason = \(quote(target.reason)) WHERE id = \(target.id)")
            #expect(try await chain.verify().isIntact, "restoring the row restores the chain")
            let deleted = events[2]
            try await TestDatabase.tamper(world, "DELETE FROM history_events WHERE id = \(deleted.id)")
            let gap = try await chain.verify(application: application)
            #expect(gap.breaks.first?.eventID == events[3].id)
            #expect(gap.breaks.first?.problem == "follows #\(deleted.seq - 1): 1 event(s) before it are missing")
        }
    }

    @Test func deletingTheEndOfAChainOrAllOfItIsDetected() async throws {
        try await WorkflowWorld.with { world in
            let trimmed = try await world.newApplication()
            let erased = try await world.newApplication()
            try await world.advance(trimmed, to: .selfAssessment)
            try await world.advance(erased, to: .submitted)
            let events = try await world.store.history(of: trimmed)
            try await TestDatabase.tamper(world, "DELETE FROM history_events WHERE id IN (\(events[events.count - 1].id), \(events[events.count - 2].id))")
            try await TestDatabase.tamper(world, "DELETE FROM history_events WHERE application_id = '\(erased)'")
            let report = try await HistoryChain(client: world.client, logger: TestCluster.logger).verify()
            #expect(report.breaks.contains(.init(applicationID: trimmed, eventID: events[events.count - 3].id, seq: events.count - 2,
                problem: "ends the chain at #\(events.count - 2), but the application records #\(events.count): the last 2 event(s) are missing")))
            #expect(report.breaks.contains(.init(applicationID: erased, eventID: 0, seq: 0,
                problem: "has no events, but the application records 2: the whole chain is missing")))
        }
    }

    @Test func everySplitOfTheChainsFindsTheSameBreaks() async throws {
        try await WorkflowWorld.with { world in
            var applications: [UUID] = []
            for _ in 0..<7 {
                let application = try await world.newApplication()
                try await world.advance(application, to: .selfAssessment)
                applications.append(application)
            }
            let (edited, relinked, rehashed, gapped, trimmed) = (applications[0], applications[1], applications[2], applications[3], applications[4])
            let history = try await world.store.history(of:)
            let (e, r, h, g, t) = (try await history(edited), try await history(relinked), try await history(rehashed),
                                   try await history(gapped), try await history(trimmed))
            try await TestDatabase.tamper(world, "UPDATE history_events SET payload = '{\"x\":1}' WHERE id = \(e[2].id)")
            try await TestDatabase.tamper(world, "UPDATE history_events SET prev_hash = \(quote(e[1].hash)) WHERE id = \(r[2].id)")
            try await TestDatabase.tamper(world, "UPDATE history_events SET hash = 'abc' WHERE id = \(h[1].id)")
            try await TestDatabase.tamper(world, "DELETE FROM history_events WHERE id = \(g[1].id)")
            try await TestDatabase.tamper(world, "DELETE FROM history_events WHERE id = \(t[t.count - 1].id)")

            let chain = HistoryChain(client: world.client, logger: TestCluster.logger)
            let whole = try await chain.verify(partitions: 1)
            #expect(whole.applications == 7)
            #expect(whole.breaks.count == 5)
            let expected: [(UUID, Int64, String)] = [
                (edited, e[2].id, "does not match its hash: the row was changed"),
                (relinked, r[2].id, "does not link to the event before it"),
                (rehashed, h[1].id, "does not match its hash: the row was changed"),
                (gapped, g[2].id, "follows #1: 1 event(s) before it are missing"),
                (trimmed, t[t.count - 2].id, "ends the chain at #\(t.count - 1), but the application records #\(t.count): the last 1 event(s) are missing"),
            ]
            for (application, event, problem) in expected {
                #expect(whole.breaks.contains { $0.applicationID == application && $0.eventID == event && $0.problem == problem },
                        "\(problem) at event \(event)")
            }
            for partitions in 2...8 {
                #expect(try await chain.verify(partitions: partitions) == whole, "\(partitions) partitions")
            }
            // Chains read a few events per row: the links between rows are checked like any other.
            for eventsPerRow in [1, 2, 3, 5] {
                #expect(try await chain.verify(partitions: 3, eventsPerRow: eventsPerRow) == whole, "\(eventsPerRow) events per row")
            }
            for application in applications {
                let alone = try await chain.verify(application: application)
                #expect(alone.breaks == whole.breaks.filter { $0.applicationID == application })
            }
        }
    }

    @Test func eventsWhoseApplicationWasRemovedAreReported() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .submitted)
            let events = try await world.store.history(of: application)
            // Foreign keys are not enforced in this replication role, so the application row can go.
            try await TestDatabase.tamper(world, "DELETE FROM applications WHERE id = '\(application)'")
            let chain = HistoryChain(client: world.client, logger: TestCluster.logger)
            let expected = [HistoryChain.Break(applicationID: application, eventID: events[0].id, seq: 0,
                                               problem: "has \(events.count) event(s), but the application itself is missing")]
            let all = try await chain.verify()
            #expect(all.breaks == expected && all.events == events.count)
            #expect(try await chain.verify(application: application).breaks == expected)

            // An event that names no application at all.
            let other = try await world.newApplication()
            let first = try #require(try await world.store.history(of: other).first)
            try await TestDatabase.tamper(world, "ALTER TABLE history_events ALTER COLUMN application_id DROP NOT NULL")
            try await TestDatabase.tamper(world, "UPDATE history_events SET application_id = NULL WHERE id = \(first.id)")
            let unnamed = try await chain.verify()
            #expect(unnamed.breaks.contains(.init(applicationID: UUID(uuidString: "00000000-0000-0000-0000-000000000000")!, eventID: first.id,
                                                  seq: 0, problem: "has 1 event(s) that name no application")))
            #expect(unnamed.breaks.contains { $0.applicationID == other }, "its own chain now misses its first event")
        }
    }

    @Test func aTimeNoEventCanHaveIsAChangedRowNotACrash() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            let created = try #require(try await world.store.history(of: application).first)
            for time in ["infinity", "-infinity", "294270-01-01", "1899-12-31 23:59:59.999999+00"] {
                try await TestDatabase.tamper(world, "UPDATE history_events SET occurred_at = '\(time)' WHERE id = \(created.id)")
                let report = try await HistoryChain(client: world.client, logger: TestCluster.logger).verify(application: application)
                #expect(report.breaks.map(\.problem) == ["does not match its hash: the row was changed"], "\(time)")
            }
        }
    }

    @Test func aSequenceNumberAtTheTopOfItsRangeIsReportedNotAnError() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.advance(application, to: .submitted)
            let last = try #require(try await world.store.history(of: application).last)
            try await TestDatabase.tamper(world, "UPDATE history_events SET seq = 2147483647 WHERE id = \(last.id)")
            // Pieces of 2^30 sequence numbers: the last piece ends past the largest integer.
            let report = try await HistoryChain(client: world.client, logger: TestCluster.logger)
                .verify(application: application, eventsPerRow: 1 << 30)
            #expect(report.breaks.map(\.problem) == ["follows #\(last.seq - 1): \(2147483647 - last.seq) event(s) before it are missing"])
        }
    }

    @Test func anEventsTextIsBoundedSoEveryChainStaysReadable() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            let version = try await world.version(application)
            let events = try await world.store.history(of: application).count
            // 40,000 characters of two bytes each: within a character count of 64 Ki, beyond 64 KiB.
            await #expect(throws: WorkflowError.invalid("The reason and payload of one history event are limited to 64 KiB together.")) {
                try await world.store.fire(.submit, application: application, actor: world.admin, expectedVersion: version,
                                           reason: String(repeating: "é", count: 40_000))
            }
            #expect(try await world.store.history(of: application).count == events)
            #expect(try await world.state(application) == "draft")
        }
    }

    @Test func aHistoryTableOfAnotherShapeIsReportedNotPassed() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.fire(.submit, application, by: world.admin)
            try await TestDatabase.tamper(world, "ALTER TABLE history_events ALTER COLUMN reason TYPE varchar")
            await #expect {
                try await HistoryChain(client: world.client, logger: TestCluster.logger).verify()
            } throws: { error in
                "\(error)" == "the history of application \(application) could not be read: column reason has an unexpected type, size or null"
            }
        }
    }

    @Test func aMissingValueAndADashHashDifferently() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            let created = try #require(try await world.store.history(of: application).first)
            #expect(created.fromState == nil)
            try await TestDatabase.tamper(world, "UPDATE history_events SET from_state = '-' WHERE id = \(created.id)")
            let report = try await HistoryChain(client: world.client, logger: TestCluster.logger).verify(application: application)
            #expect(report.breaks.first?.problem == "does not match its hash: the row was changed")
        }
    }

    @Test func theServiceRoleCannotChangeOrDeleteHistory() async throws {
        try await WorkflowWorld.with { world in
            let application = try await world.newApplication()
            try await world.fire(.submit, application, by: world.admin)
            await #expect {
                try await world.client.query("UPDATE history_events SET reason = 'x'", logger: TestCluster.logger)
            } throws: { error in Database.describe(error).contains("permission denied") }
            await #expect {
                try await world.client.query("DELETE FROM history_events", logger: TestCluster.logger)
            } throws: { error in Database.describe(error).contains("permission denied") }
            // Even the owning role is stopped by the trigger.
            await #expect {
                try await TestDatabase.asOwner(of: world) { owner in
                    _ = try await owner.query("DELETE FROM history_events", logger: TestCluster.logger)
                }
            } throws: { error in Database.describe(error).contains("history events are append-only") }
        }
    }

    func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}

extension TestDatabase {
    /// Runs `body` as the database owner (the login role, without the service role).
    static func asOwner(of world: WorkflowWorld, _ body: @Sendable (PostgresClient) async throws -> Void) async throws {
        var settings = world.database
        settings.sessionRole = nil
        try await Database.withClient(settings, logger: TestCluster.logger, body)
    }

    /// Changes rows behind the application's back, as someone with direct database access could: the owner
    /// switches off triggers for the session first.
    static func tamper(_ world: WorkflowWorld, _ sql: String) async throws {
        try await asOwner(of: world) { owner in
            try await owner.withConnection { connection in
                _ = try await connection.query("SET session_replication_role = replica", logger: TestCluster.logger)
                _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestCluster.logger)
                _ = try await connection.query("SET session_replication_role = DEFAULT", logger: TestCluster.logger)
            }
        }
    }
}
