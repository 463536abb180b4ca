import AccreditationCore
import Foundation
import Persistence
import PostgresNIO
import TestSupport
import Testing

/// Random sequences of actions by random people against the real database. Whatever happens, no state
/// outside the table is reached, an accredited application has all level-1 indicators compliant and a
/// term, and every history chain verifies.
@Suite struct WorkflowPropertyTests {
    /// SplitMix64: small, seedable, reproducible.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: Array(1...10) as [UInt64])
    func randomWalksKeepTheInvariants(seed: UInt64) async throws {
        try await WorkflowWorld.with { world in
            var random = Random(state: seed)
            let people = [world.admin, world.contributor, world.staff, world.otherStaff, world.staffPhysicist, world.oncologist, world.physicist, .system]
            let application = try await world.newApplication()
            let known = Set(ApplicationState.allCases.map(\.rawValue))
            var reachedAccredited = false
            for step in 0..<200 {
                let actor = people.randomElement(using: &random)!
                switch random.next() % 10 {
                case 0..<5:
                    // Mostly an action the table offers from here (by anyone), sometimes any action at all.
                    let current = ApplicationState(rawValue: try await world.state(application))!
                    // System actions come from timers, not from people.
                    let offered = Workflows.application.transitions
                        .filter { $0.from.contains(current) && $0.action != .withdraw && $0.roles != [.system] }.map(\.action)
                    let action = (random.next() % 10 < 8 ? offered.randomElement(using: &random) : nil)
                        ?? ApplicationAction.allCases.randomElement(using: &random)!
                    // Usually someone whose role the table lets fire it; sometimes anyone.
                    let allowed = Workflows.application.transition(from: current, action: action)?.roles ?? []
                    let actor = random.next() % 10 < 8 ? (people.filter { allowed.contains($0.role) }.randomElement(using: &random) ?? actor) : actor
                    let stale = random.next() % 8 == 0
                    let version = try await world.version(application) - (stale ? 1 : 0)
                    let payload = ["mode": "virtual", "date": "2026-12-01", "text": "Step \(step)."]
                    _ = try? await world.store.fire(action, application: application, actor: actor, expectedVersion: version, payload: payload)
                case 5:
                    let code = ["GOV-01", "GOV-02", "RPS-05"].randomElement(using: &random)!
                    try? await world.store.respond(application: application, indicator: code, answer: "Answer \(step).", actor: actor)
                case 6:
                    let code = ["GOV-01", "GOV-02"].randomElement(using: &random)!
                    _ = try? await world.store.addEvidence(application: application, world.evidence("doc-\(step)"), indicators: [code], actor: actor)
                case 7:
                    let surveyor = [world.oncologist, world.physicist, world.staffPhysicist, world.affiliatedSurveyor].randomElement(using: &random)!
                    if let assignment = try? await world.store.proposeAssignment(application: application, surveyor: surveyor.id!, actor: actor) {
                        try? await world.store.fire(.accept, assignment: assignment, actor: surveyor, expectedVersion: 1, attestation: "No conflict.")
                    }
                case 8:
                    let code = ["GOV-01", "GOV-02"].randomElement(using: &random)!
                    let value = ScoreValue.allCases.randomElement(using: &random)!
                    try? await world.store.score(application: application, indicator: code, value: value, rationale: "Step \(step).", actor: actor)
                default:
                    world.clock.advance(days: Double(random.next() % 45))
                    _ = try await world.store.fireDueTimers()
                }
                let summary = try await world.store.application(application)
                #expect(known.contains(summary.state.rawValue), "seed \(seed) step \(step): undeclared state \(summary.state)")
                if summary.state.rawValue == "accredited" {
                    reachedAccredited = true
                    #expect(summary.termStart != nil && summary.termEnd != nil, "seed \(seed) step \(step): accredited without a term")
                    let failing = try await world.store.progress(application: application)
                        .filter { $0.level == .mustMeet && $0.score != .compliant && $0.score != .notApplicable }
                    #expect(failing.isEmpty, "seed \(seed) step \(step): accredited with level-1 \(failing.map(\.code)) not compliant")
                }
            }
            let final = try await world.state(application)
            TestCluster.logger.info("seed \(seed) ended in \(final); reached accredited: \(reachedAccredited)")
            let verified = try await HistoryChain(client: world.client, logger: TestCluster.logger).verify()
            #expect(verified.isIntact, "seed \(seed): \(verified.breaks)")
            // Every recorded application transition is a row of the table.
            for event in try await world.store.history(of: application) where event.machine == "application" && event.action != "create" {
                let action = try #require(ApplicationAction(rawValue: event.action))
                let from = try #require(event.fromState.flatMap(ApplicationState.init(rawValue:)))
                #expect(Workflows.application.transition(from: from, action: action)?.to.rawValue == event.toState)
            }
        }
    }
}
