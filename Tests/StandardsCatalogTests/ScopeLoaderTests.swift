import AccreditationCore
import Foundation
import StandardsCatalog
import TestSupport
import Testing

@Suite struct ScopeLoaderTests {
    func load(_ text: String) throws -> PracticeScope {
        let folder = try TestCluster.makeTemporaryFolder(prefix: "apex-scope")
        try text.write(toFile: folder + "/scope.yaml", atomically: true, encoding: .utf8)
        return try ScopeLoader.load(file: folder + "/scope.yaml")
    }

    @Test func defaultsForOmittedFields() throws {
        let scope = try load("agents: [ra223]\n")
        #expect(scope == PracticeScope(agents: [.ra223]))
    }

    @Test(arguments: [
        ("agents: [lu-999]\n", "1:10: agent 'lu-999' is not one of lu177-psma, lu177-dotatate, ra223, i131, y90-microspheres"),
        ("agents: []\nsite_count: 0\n", "2:13: 'site_count' must be a whole number from 1 to 1000"),
        ("agents: []\ninpatient_therapy: maybe\n", "2:20: 'inpatient_therapy' must be true or false"),
        ("agents: []\njurisdiction: NRC\n", "2:15: 'jurisdiction' 'NRC' is not in the form US-NRC or US-NC"),
        ("agents: []\nbeds: 4\n", "2:1: unknown key 'beds' in the scope; allowed: agents, inpatient_therapy, patient_specific_dosimetry, site_count, licensed_use_types, jurisdiction"),
        ("inpatient_therapy: true\n", "1:1: the scope is missing 'agents'"),
    ])
    func badScopes(text: String, expected: String) throws {
        #expect {
            try load(text)
        } throws: { error in
            String(describing: error).contains("scope.yaml:" + expected)
        }
    }
}
