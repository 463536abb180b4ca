import AccreditationCore
import Foundation
import StandardsCatalog
import Testing

@Suite struct DiffTests {
    func load(_ fixture: CatalogFixture) throws -> CatalogRelease {
        try CatalogLoader.load(folder: try fixture.write())
    }

    @Test func identicalReleasesHaveNoChanges() throws {
        let diff = CatalogDiff(old: try load(CatalogFixture()), new: try load(CatalogFixture()))
        #expect(diff.isEmpty)
        #expect(diff.text.contains("no indicator changed"))
    }

    @Test func fieldByFieldChanges() throws {
        let old = try load(CatalogFixture())
        let new = try load(CatalogFixture()
            .replacingInDomain("requirement: Hold a licence that covers every RPT use.", with: "requirement: Hold a current licence for every RPT use and site.")
            .replacingInDomain("level: 2", with: "level: 1")
            .replacingInDomain("evidence: []", with: "evidence:\n            - {kind: plan, description: Room plan}")
            .replacingInDomain("{field: inpatient_therapy, equals: true}", with: "{field: site_count, at_least: 2}")
            .replacingInDomain("locator: \"10 CFR 35.315\"", with: "locator: \"10 CFR 35.315(a)\""))
        let diff = CatalogDiff(old: old, new: new)
        #expect(diff.added.isEmpty && diff.removed.isEmpty)
        #expect(diff.changed.map(\.code) == ["GOV-01", "GOV-02"])
        #expect(diff.changed[0].fields.map(\.field) == ["requirement"])
        #expect(diff.changed[1].fields.map(\.field) == ["level", "evidence", "applicability", "references"])
        #expect(diff.changed[1].fields[0] == .init(field: "level", old: "2", new: "1"))
        #expect(diff.changed[1].fields[2].new.contains("\"at_least\":2"))
    }

    @Test func addedAndRemoved() throws {
        let old = try load(CatalogFixture())
        let new = try load(CatalogFixture().replacingInDomain("code: GOV-02", with: "code: GOV-03"))
        let diff = CatalogDiff(old: old, new: new)
        #expect(diff.added.map(\.code) == ["GOV-03"])
        #expect(diff.removed.map(\.code) == ["GOV-02"])
        #expect(diff.text.contains("+ GOV-03 (level 2) Inpatient rooms"))
        #expect(diff.text.contains("- GOV-02 (level 2) Inpatient rooms"))
    }

    @Test func renumberedIndicatorIsAChangeNotARemoval() throws {
        let old = try load(CatalogFixture())
        let new = try load(CatalogFixture()
            .replacingInDomain("code: GOV-02", with: "code: GOV-12")
            .replacingInDomain("          level: 2", with: "          level: 2\n          supersedes: GOV-02"))
        let diff = CatalogDiff(old: old, new: new)
        #expect(diff.added.isEmpty && diff.removed.isEmpty)
        #expect(diff.changed.map(\.code) == ["GOV-12"])
        #expect(diff.changed[0].previousCode == "GOV-02")
        #expect(diff.text.contains("~ GOV-12 (was GOV-02)"))
    }

    @Test func jsonOutputNamesEveryPart() throws {
        let diff = CatalogDiff(old: try load(CatalogFixture()), new: try load(CatalogFixture().replacingInDomain("level: 1", with: "level: 2")))
        let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(diff)) as? [String: Any]
        #expect(json?["old"] as? String == "demo@2026.1")
        let changed = json?["changed"] as? [[String: Any]]
        #expect((changed?.first?["fields"] as? [[String: String]])?.first == ["field": "level", "old": "1", "new": "2"])
    }
}
