import AccreditationCore
import Foundation
import StandardsCatalog
import Testing

/// The catalog under Standards/ is validated on every test run (and so in CI).
@Suite struct RealCatalogTests {
    static let standards = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Standards").path
    static let examples = URL(fileURLWithPath: standards).deletingLastPathComponent().appendingPathComponent("docs/examples").path

    @Test func everyReleaseValidates() throws {
        let folders = try CatalogLoader.releaseFolders(under: Self.standards)
        #expect(!folders.isEmpty)
        for folder in folders {
            let (_, issues) = CatalogLoader.read(folder: folder)
            #expect(issues.isEmpty, "\(issues.map(\.description).joined(separator: "\n"))")
        }
    }

    @Test func theRPTReleaseCoversTheBrief() throws {
        let release = try CatalogLoader.load(folder: Self.standards + "/apex-rpt/2026.1")
        #expect(release.domains.map(\.code) == ["GOV", "STF", "PAT", "ADM", "DOS", "RPS", "REL", "QM"])
        #expect(release.indicators.count >= 65)
        for located in release.indicators {
            let indicator = located.indicator
            #expect(!indicator.references.isEmpty, "\(indicator.code) cites nothing")
            if indicator.level == .mustMeet { #expect(!indicator.evidence.isEmpty, "\(indicator.code) has no evidence") }
        }
        #expect(Set(release.pathways) == [.rptPaired, .rptStandalone])
    }

    @Test(arguments: [("scope-community-lu177.yaml", false), ("scope-comprehensive.yaml", true)])
    func exampleScopes(file: String, inpatient: Bool) throws {
        let scope = try ScopeLoader.load(file: Self.examples + "/" + file)
        #expect(scope.inpatientTherapy == inpatient)
        let release = try CatalogLoader.load(folder: Self.standards + "/apex-rpt/2026.1")
        let decisions = release.applicability(for: scope)
        let inpatientOnly = decisions.first { $0.indicator.indicator.code == "RPS-05" }
        #expect(inpatientOnly?.applies == inpatient)
    }

    @Test func canonicalFormRoundTripsAndHashesStably() throws {
        let release = try CatalogLoader.load(folder: Self.standards + "/apex-rpt/2026.1")
        let decoded = try CanonicalForm.decode(try CanonicalForm.json(release))
        #expect(decoded == release)
        #expect(try CanonicalForm.contentHash(decoded) == CanonicalForm.contentHash(release))
        var retired = release
        retired.status = .retired
        #expect(try CanonicalForm.contentHash(retired) == CanonicalForm.contentHash(release), "status is not content")
        var edited = release
        edited.domains[0].standards[0].indicators[0].requirement += " Also this."
        #expect(try CanonicalForm.contentHash(edited) != CanonicalForm.contentHash(release))
    }
}
