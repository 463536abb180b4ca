import AccreditationCore
import Testing

@Suite struct ApplicabilityTests {
    let community = PracticeScope(agents: [.lu177PSMA, .ra223])
    let hospital = PracticeScope(agents: [.i131, .y90Microspheres], inpatientTherapy: true, patientSpecificDosimetry: true,
                                 siteCount: 3, licensedUseTypes: 2, jurisdiction: "US-NC")

    @Test func flagRule() {
        let rule = ApplicabilityRule.equals(.inpatientTherapy, true)
        #expect(rule.evaluate(hospital) == .init(holds: true, explanation: "inpatient_therapy is true"))
        #expect(rule.evaluate(community) == .init(holds: false, explanation: "inpatient_therapy is false (applies when true)"))
    }

    @Test func agentRule() {
        let rule = ApplicabilityRule.includesAny(.agents, [.y90Microspheres, .lu177DOTATATE])
        #expect(rule.evaluate(hospital) == .init(holds: true, explanation: "agents include y90-microspheres"))
        #expect(rule.evaluate(community) == .init(holds: false, explanation: "agents include none of y90-microspheres, lu177-dotatate"))
    }

    @Test func countRule() {
        let rule = ApplicabilityRule.atLeast(.licensedUseTypes, 2)
        #expect(rule.evaluate(hospital).holds)
        #expect(rule.evaluate(community) == .init(holds: false, explanation: "licensed_use_types is 1 (applies from 2)"))
        #expect(ApplicabilityRule.atLeast(.siteCount, 3).evaluate(hospital) == .init(holds: true, explanation: "site_count is 3 (at least 3)"))
    }

    @Test func combinators() {
        let dosimetryOrY90 = ApplicabilityRule.any([.equals(.patientSpecificDosimetry, true), .includesAny(.agents, [.y90Microspheres])])
        #expect(dosimetryOrY90.evaluate(hospital) == .init(holds: true, explanation: "patient_specific_dosimetry is true; agents include y90-microspheres"))
        #expect(!dosimetryOrY90.evaluate(community).holds)
        let both = ApplicabilityRule.all([.equals(.inpatientTherapy, true), .atLeast(.siteCount, 2)])
        #expect(both.evaluate(hospital).holds)
        #expect(both.evaluate(community) == .init(holds: false, explanation: "inpatient_therapy is false (applies when true); site_count is 1 (applies from 2)"))
        let outpatientOnly = ApplicabilityRule.not(.equals(.inpatientTherapy, true))
        #expect(outpatientOnly.evaluate(community) == .init(holds: true, explanation: "not (inpatient_therapy is false (applies when true))"))
        #expect(!outpatientOnly.evaluate(hospital).holds)
        #expect(both.fields == [.inpatientTherapy, .siteCount])
    }

    @Test func releaseDecisionsGiveTheReason() {
        let always = Indicator(code: "GOV-01", title: "Licence", requirement: "r", guidance: "g",
                               evidence: [.init(kind: .licence, description: "d")], level: .mustMeet,
                               scoring: "compliance", references: [.init(ref: "cfr", locator: "35.300")])
        var inpatient = always
        inpatient.code = "RPS-05"
        inpatient.applicability = Applicability(when: .equals(.inpatientTherapy, true), reason: "The practice treats inpatients.")
        let release = CatalogRelease(id: "demo", version: "2026.1", title: "t", effective: "2026-01-01", status: .published,
                                     pathways: [.rptStandalone], scoringScales: [], references: [],
                                     domains: [Domain(code: "GOV", title: "t", summary: "s", standards: [
                                        Standard(code: "GOV.1", title: "t", summary: "s", indicators: [always, inpatient]),
                                     ])])
        let forCommunity = release.applicability(for: community)
        #expect(forCommunity.map(\.applies) == [true, false])
        #expect(forCommunity[0].reason == "Applies to every RPT practice.")
        #expect(forCommunity[1].reason == "Does not apply: inpatient_therapy is false (applies when true).")
        let forHospital = release.applicability(for: hospital)
        #expect(forHospital[1].applies && forHospital[1].reason == "The practice treats inpatients.")
    }

    @Test func jurisdictionOverrideReplacesCitationsAndThresholds() {
        let indicator = Indicator(
            code: "RPS-07", title: "Decay in storage", requirement: "r", guidance: "g", evidence: [], level: .mustMeet,
            scoring: "compliance", references: [.init(ref: "cfr-10-35", locator: "10 CFR 35.92")],
            thresholds: ["dis_max_half_life_days": 120, "retention_years": 3],
            jurisdictionOverrides: [.init(jurisdiction: "US-NC", references: [.init(ref: "ncac", locator: "10A NCAC 15 .0362")],
                                          thresholds: ["dis_max_half_life_days": 275], note: "NC allows longer.")]
        )
        let nc = indicator.resolved(for: "US-NC")
        #expect(nc.references == [.init(ref: "ncac", locator: "10A NCAC 15 .0362")])
        #expect(nc.thresholds == ["dis_max_half_life_days": 275, "retention_years": 3])
        #expect(nc.note == "NC allows longer.")
        let nrc = indicator.resolved(for: "US-NRC")
        #expect(nrc.thresholds["dis_max_half_life_days"] == 120 && nrc.note == nil)
    }
}
