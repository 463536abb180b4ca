import AccreditationCore
import Foundation
import Testing

@Suite struct WorkflowTableTests {
    /// States reachable from the initial one by following the table.
    func reachable<S, A>(_ machine: StateMachine<S, A>) -> Set<S> {
        var seen: Set<S> = [machine.initial]
        var frontier = [machine.initial]
        while let state = frontier.popLast() {
            for transition in machine.transitions where transition.from.contains(state) && seen.insert(transition.to).inserted {
                frontier.append(transition.to)
            }
        }
        return seen
    }

    func check<S, A>(_ machine: StateMachine<S, A>) {
        #expect(reachable(machine) == Set(S.allCases), "\(machine.name): unreachable states \(Set(S.allCases).subtracting(reachable(machine)))")
        for final in machine.finals {
            #expect(!machine.transitions.contains { $0.from.contains(final) }, "\(machine.name): final state \(final) has a way out")
        }
        for transition in machine.transitions {
            #expect(!transition.roles.isEmpty, "\(machine.name).\(transition.action) names no role")
        }
        // One action leads to one place from any given state: the table is deterministic.
        for state in S.allCases {
            let actions = machine.transitions.filter { $0.from.contains(state) }.map(\.action)
            #expect(Set(actions).count == actions.count, "\(machine.name): \(state) has an action twice")
        }
        for state in S.allCases where !machine.finals.contains(state) {
            #expect(machine.transitions.contains { $0.from.contains(state) }, "\(machine.name): \(state) is a dead end but not final")
        }
    }

    @Test func rolesThatMayEverFireAnAction() {
        #expect(Workflows.application.roles(firing: .withdraw) == [.practiceAdmin, .staff, .administrator])
        #expect(Workflows.application.roles(firing: .accredit) == [.staff, .administrator])
        #expect(Workflows.application.roles(firing: .expire) == [.system])
        #expect(Workflows.evidence.roles(firing: .accept) == [.staff, .administrator, .surveyor])
    }

    @Test func everyTableIsWellFormed() {
        check(Workflows.application)
        check(Workflows.evidence)
        check(Workflows.assignment)
        check(Workflows.rfi)
        check(Workflows.correctiveAction)
    }

    @Test func everyOpenApplicationStateCanBeWithdrawn() {
        for state in ApplicationState.allCases where !Workflows.application.finals.contains(state) {
            #expect(Workflows.application.transition(from: state, action: .withdraw)?.to == .withdrawn)
        }
    }

    @Test func decideChecksStateThenRoleThenGuards() {
        var facts = GuardFacts()
        #expect(Workflows.application.decide(from: .draft, action: .accredit, role: .staff, facts: facts)
                == .failure(.notAllowedInState(action: "accredit", state: "draft")))
        #expect(Workflows.application.decide(from: .committeeReview, action: .accredit, role: .surveyor, facts: facts)
                == .failure(.roleNotAllowed(action: "accredit", role: .surveyor)))
        facts.actorIsSurveyorOnApplication = true
        #expect(Workflows.application.decide(from: .committeeReview, action: .accredit, role: .staff, facts: facts)
                == .failure(.guardFailed(.deciderIsNotSurveyor, reason: "the person deciding is a surveyor on this application")))
        facts.actorIsSurveyorOnApplication = false
        facts.indicators = [.init(code: "GOV-01", level: .mustMeet, hasResponse: true, evidenceCount: 1, score: .compliant)]
        if case let .success(transition) = Workflows.application.decide(from: .committeeReview, action: .accredit, role: .staff, facts: facts) {
            #expect(transition.to == .accredited && transition.effects.contains(.startTerm))
        } else {
            Issue.record("accredit should be allowed")
        }
    }

    @Test func guardsExplainThemselves() {
        var facts = GuardFacts()
        facts.indicators = (1...10).map { .init(code: "X-\($0)", level: .mustMeet, hasResponse: false, evidenceCount: 0, score: nil) }
        #expect(Guard.everyApplicableIndicatorAnswered.check(facts).reason == "no self-assessment response for X-1, X-2, X-3, X-4, X-5, X-6, X-7, X-8 and 2 more")
        facts.acceptedTeam = [.radiationOncologist]
        #expect(Guard.surveyTeamComplete.check(facts).reason == "the accepted survey team lacks a medical-physicist")
        facts.now = Date(timeIntervalSince1970: 100)
        facts.appealDeadline = Date(timeIntervalSince1970: 50)
        #expect(!Guard.withinAppealWindow.check(facts).holds)
        facts.appealDeadline = Date(timeIntervalSince1970: 100)
        #expect(Guard.withinAppealWindow.check(facts).holds)
    }

    @Test func diagramsComeFromTheTables() {
        let mermaid = Workflows.application.diagram(.mermaid)
        #expect(mermaid.hasPrefix("stateDiagram-v2\n    [*] --> draft"))
        #expect(mermaid.contains("committee_review --> accredited: accredit [administrator, staff] if decider-is-not-surveyor, level-one-compliant"))
        #expect(mermaid.contains("any_open_state --> withdrawn: withdraw [administrator, practice-admin, staff]"))
        let dot = Workflows.rfi.diagram(.dot)
        #expect(dot.contains("\"open\" -> \"overdue\" [label=\"mark-overdue [system]\"];"))
        #expect(dot.contains("\"closed\" [peripheries=2];"))
    }
}

@Suite struct ScoringTests {
    func items(_ scores: [(String, Level, ScoreValue?)]) -> [ScoreReport.Item] {
        scores.map { ScoreReport.Item(code: $0.0, domain: String($0.0.prefix(3)), standard: String($0.0.prefix(3)) + ".1", level: $0.1, score: $0.2) }
    }

    @Test func unscoredGivesNoRecommendation() {
        let report = ScoreReport(items: items([("GOV-01", .mustMeet, nil), ("GOV-02", .scored, .compliant)]), settings: .init())
        #expect(report.recommendation.determination == nil && report.recommendation.drivers == ["GOV-01"])
    }

    @Test func levelOneNonCompliantDrivesDenial() {
        let report = ScoreReport(items: items([("GOV-01", .mustMeet, .nonCompliant), ("RPS-01", .mustMeet, .partiallyCompliant)]), settings: .init())
        #expect(report.recommendation.determination == .denied && report.recommendation.drivers == ["GOV-01"])
    }

    @Test func levelOnePartialDrivesProvisional() {
        let report = ScoreReport(items: items([("GOV-01", .mustMeet, .partiallyCompliant), ("GOV-02", .scored, .compliant)]), settings: .init())
        #expect(report.recommendation.determination == .provisional && report.recommendation.drivers == ["GOV-01"])
    }

    @Test func levelTwoBelowTheThresholdDrivesProvisional() {
        var settings = WorkflowSettings()
        settings.levelTwoThreshold = 0.75
        let scores = items([("GOV-01", .mustMeet, .compliant), ("GOV-02", .scored, .compliant), ("GOV-03", .scored, .nonCompliant),
                            ("GOV-04", .scored, .partiallyCompliant), ("GOV-05", .scored, .notApplicable)])
        let report = ScoreReport(items: scores, settings: settings)
        #expect(report.recommendation.determination == .provisional)
        #expect(report.recommendation.drivers == ["GOV-03", "GOV-04"])
        #expect(report.recommendation.explanation == "Every level-1 indicator is compliant, but only 1 of 3 level-2 indicators are (threshold 75%).")
    }

    @Test func allMetRecommendsAccreditedAndRollsUp() {
        let report = ScoreReport(items: items([("GOV-01", .mustMeet, .compliant), ("GOV-02", .scored, .compliant), ("RPS-01", .scored, .notApplicable)]),
                                 settings: .init())
        #expect(report.recommendation.determination == .accredited)
        #expect(report.domains.map(\.code) == ["GOV", "RPS"])
        #expect(report.domains[0].compliance == 1 && report.domains[1].compliance == nil && report.domains[1].notApplicable == 1)
    }
}

/// The record-action table: one row per action, and the decision function reads it.
@Suite struct RecordActionTableTests {
    @Test func everyActionHasExactlyOneRow() {
        for action in RecordAction.allCases {
            #expect(RecordActions.table.filter { $0.action == action }.count == 1, "\(action.rawValue)")
        }
    }

    @Test func decisionsFollowTheTable() {
        for rule in RecordActions.table {
            for role in Role.allCases where role != .system {
                for state in ApplicationState.allCases {
                    let decision = RecordActions.decide(rule.action, role: role, applicationState: state)
                    if !rule.roles.contains(role) {
                        #expect(decision == .forbidden("Role '\(role.rawValue)' may not \(rule.action.rawValue)."))
                    } else if !rule.applicationStates.contains(state) {
                        guard case .wrongState = decision else { Issue.record("\(rule.action) \(role) \(state): \(decision)"); continue }
                    } else {
                        #expect(decision == .allowed)
                    }
                    #expect(RecordActions.decide(rule.action, role: role, applicationState: state, visible: false) == .hidden)
                }
            }
            // Nothing is ever done on a closed application.
            #expect(rule.applicationStates.isDisjoint(with: Workflows.application.finals), "\(rule.action)")
        }
    }
}

/// The access rules the API and the stores ask instead of writing role lists of their own.
@Suite struct AccessPolicyRoleTests {
    static func person(_ role: Role, practice: UUID? = nil) -> Identity {
        Identity(personID: UUID(), role: role, practiceID: practice, displayName: role.rawValue, email: "\(role.rawValue)@example.org")
    }

    @Test func whoMayInviteWhom() {
        let own = UUID(), other = UUID()
        let admin = Self.person(.practiceAdmin, practice: own)
        #expect(AccessPolicy.canInvite(.practiceContributor, into: own, as: admin))
        #expect(AccessPolicy.canInvite(.practiceAdmin, into: own, as: admin))
        #expect(!AccessPolicy.canInvite(.practiceContributor, into: other, as: admin))
        #expect(!AccessPolicy.canInvite(.surveyor, into: nil, as: admin))
        #expect(!AccessPolicy.canInvite(.practiceContributor, into: own, as: Self.person(.practiceContributor, practice: own)))
        #expect(!AccessPolicy.canInvite(.staff, into: nil, as: Self.person(.surveyor)))
        for role in RoleAssignment.assignable { #expect(AccessPolicy.canInvite(role, into: nil, as: Self.person(.staff))) }
        #expect(!AccessPolicy.canInvite(.administrator, into: nil, as: Self.person(.administrator)))
    }

    @Test func whichPracticesARecordListCovers() {
        let own = UUID()
        #expect(AccessPolicy.practiceScope(as: Self.person(.staff)) == .all)
        #expect(AccessPolicy.practiceScope(as: Self.person(.administrator)) == .all)
        #expect(AccessPolicy.practiceScope(as: Self.person(.practiceContributor, practice: own)) == .practice(own))
        #expect(AccessPolicy.practiceScope(as: Self.person(.surveyor)) == .none)
        #expect(AccessPolicy.practiceScope(as: Self.person(.practiceAdmin)) == .none, "a practice role without a practice sees nothing")
    }

    @Test func affiliationsAndRoleConsistency() {
        let surveyor = Self.person(.surveyor)
        #expect(AccessPolicy.canDeclareAffiliations(of: surveyor.personID, as: surveyor))
        #expect(!AccessPolicy.canDeclareAffiliations(of: UUID(), as: surveyor))
        #expect(AccessPolicy.canDeclareAffiliations(of: UUID(), as: Self.person(.staff)))
        #expect(RoleAssignment(role: .administrator, practiceID: nil, discipline: nil).consistencyProblem == nil)
        #expect(RoleAssignment(role: .administrator, practiceID: nil, discipline: nil).problem != nil, "administrators come from the command line")
        #expect(RoleAssignment(role: .system, practiceID: nil, discipline: nil).consistencyProblem != nil)
        #expect(RoleAssignment(role: .surveyor, practiceID: nil, discipline: nil).consistencyProblem != nil)
        #expect(RoleAssignment(role: .practiceAdmin, practiceID: nil, discipline: nil).consistencyProblem != nil)
    }
}
