import AccreditationCore
import Foundation
import StandardsCatalog
import TestSupport
import Testing

@Suite struct ValidatorTests {
    /// Loads the fixture and returns its issues with the folder prefix stripped from file names.
    func issues(_ fixture: CatalogFixture, extraFiles: [String: Data] = [:]) throws -> [String] {
        let folder = try fixture.write(extraFiles: extraFiles)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (release, issues) = CatalogLoader.read(folder: folder)
        #expect(release == nil || issues.isEmpty)
        return issues.map { $0.description.replacingOccurrences(of: folder + "/", with: "") }
    }

    func at(_ fixture: CatalogFixture, _ needle: String, occurrence: Int = 1, inRelease: Bool = false) -> String {
        let text = inRelease ? fixture.release : fixture.domain
        let (line, column) = CatalogFixture.position(of: needle, in: text, occurrence: occurrence)
        return "\(inRelease ? "release.yaml" : CatalogFixture.domainFile):\(line):\(column)"
    }

    @Test func theFixtureIsValid() throws {
        let folder = try CatalogFixture().write()
        let release = try CatalogLoader.load(folder: folder)
        #expect(release.releaseID == "demo@2026.1")
        #expect(release.indicators.map(\.indicator.code) == ["GOV-01", "GOV-02"])
        #expect(release.indicators[1].indicator.applicability?.when == .equals(.inpatientTherapy, true))
    }

    @Test func yamlSyntaxError() throws {
        let fixture = CatalogFixture().replacingInDomain("title: Licensing", with: "title: \"Licensing")
        let found = try issues(fixture)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("01-gov.yaml:") == true)
        #expect(found.first?.contains(": YAML syntax error: ") == true)
    }

    @Test func unknownKey() throws {
        let fixture = CatalogFixture().replacingInDomain("          level: 1", with: "          level: 1\n          colour: red")
        #expect(try issues(fixture) == [
            "\(at(fixture, "colour")): unknown key 'colour' in an indicator; allowed: code, title, requirement, guidance, evidence, level, scoring, references, applicability, apex, thresholds, jurisdiction_overrides, supersedes",
        ])
    }

    @Test func missingKey() throws {
        let fixture = CatalogFixture().replacingInDomain("          guidance: Compare the licence with the scope.\n", with: "")
        #expect(try issues(fixture) == ["\(at(fixture, "code: GOV-01")): an indicator is missing 'guidance'"])
    }

    @Test func wrongType() throws {
        let fixture = CatalogFixture().replacingInDomain("level: 1", with: "level: high")
        #expect(try issues(fixture) == ["\(at(fixture, "high")): indicator GOV-01 'level' must be a whole number from 1 to 2"])
    }

    @Test func unknownEvidenceKind() throws {
        let fixture = CatalogFixture().replacingInDomain("kind: licence", with: "kind: photo")
        #expect(try issues(fixture) == [
            "\(at(fixture, "photo")): evidence 'kind' 'photo' is not one of policy, procedure, log, credential, licence, agreement, plan, report, template, minutes, other, record-sample, calibration-record, training-record, patient-material",
        ])
    }

    @Test func duplicateIndicatorCode() throws {
        let fixture = CatalogFixture().replacingInDomain("code: GOV-02", with: "code: GOV-01")
        #expect(try issues(fixture) == [
            "\(at(fixture, "GOV-01", occurrence: 2)): duplicate indicator code GOV-01 (first defined at \(at(fixture, "GOV-01")))",
        ])
    }

    @Test func unknownReference() throws {
        let fixture = CatalogFixture().replacingInDomain("ref: cfr-10-35", with: "ref: cfr-10-99")
        #expect(try issues(fixture) == [
            "\(at(fixture, "cfr-10-99")): unknown reference 'cfr-10-99': add it to the references of release.yaml",
        ])
    }

    @Test func unknownScopeField() throws {
        let fixture = CatalogFixture().replacingInDomain("field: inpatient_therapy", with: "field: bed_count")
        #expect(try issues(fixture) == [
            "\(at(fixture, "bed_count")): applicability rule names unknown scope field 'bed_count'; known fields: agents, inpatient_therapy, patient_specific_dosimetry, site_count, licensed_use_types",
        ])
    }

    @Test func ruleTestThatDoesNotFitTheField() throws {
        let fixture = CatalogFixture().replacingInDomain("{field: inpatient_therapy, equals: true}", with: "{field: site_count, equals: true}")
        #expect(try issues(fixture) == ["\(at(fixture, "true}")): 'equals' does not fit scope field 'site_count'; use at_least: a number"])
    }

    @Test func levelOneWithoutEvidence() throws {
        let fixture = CatalogFixture().replacingInDomain("""
                  evidence:
                    - kind: licence
                      description: The licence and its amendments
        """, with: "          evidence: []")
        #expect(try issues(fixture) == [
            "\(at(fixture, "[]")): level-1 indicator GOV-01 lists no expected evidence; a must-meet indicator needs at least one",
        ])
    }

    @Test func emptyRequirement() throws {
        let fixture = CatalogFixture().replacingInDomain("requirement: Hold a licence that covers every RPT use.", with: "requirement: \"  \"")
        #expect(try issues(fixture) == [
            "\(at(fixture, "\"  \"")): indicator GOV-01 has an empty requirement; say in plain words what the practice must do",
        ])
    }

    @Test func unknownScoringScale() throws {
        let fixture = CatalogFixture().replacingInDomain("scoring: compliance", with: "scoring: stars")
        #expect(try issues(fixture) == ["\(at(fixture, "stars")): indicator GOV-01 uses unknown scoring scale 'stars'; known: compliance"])
    }

    @Test func supersedesCycle() throws {
        let fixture = CatalogFixture()
            .replacingInDomain("          level: 1", with: "          level: 1\n          supersedes: GOV-02")
            .replacingInDomain("          level: 2", with: "          level: 2\n          supersedes: GOV-01")
        #expect(try issues(fixture) == ["\(at(fixture, "GOV-02", occurrence: 1)): supersedes cycle: GOV-01 → GOV-02 → GOV-01"])
    }

    @Test func selfSupersedingIsACycle() throws {
        let fixture = CatalogFixture().replacingInDomain("          level: 1", with: "          level: 1\n          supersedes: GOV-01")
        #expect(try issues(fixture) == ["\(at(fixture, "GOV-01", occurrence: 2)): supersedes cycle: GOV-01 → GOV-01"])
    }

    @Test func filesDisagreeOnTheRelease() throws {
        let fixture = CatalogFixture().replacingInDomain("release: demo@2026.1", with: "release: demo@2026.2")
        #expect(try issues(fixture) == [
            "\(at(fixture, "demo@2026.2")): this file belongs to release 'demo@2026.2' but release.yaml declares 'demo@2026.1'",
        ])
    }

    @Test func releaseIDDisagreesWithIdAndVersion() throws {
        let fixture = CatalogFixture().replacingInRelease("version: \"2026.1\"", with: "version: \"2026.3\"")
        // id and version name the release; the `release:` lines of both files now disagree with them.
        #expect(try issues(fixture) == [
            "\(at(fixture, "demo@2026.1")): this file belongs to release 'demo@2026.1' but release.yaml declares 'demo@2026.3'",
            "\(at(fixture, "demo@2026.1", inRelease: true)): 'release' is 'demo@2026.1' but id and version make 'demo@2026.3'",
        ])
    }

    @Test func overrideOfAnUndefinedThreshold() throws {
        let fixture = CatalogFixture().replacingInDomain("          level: 1", with: """
                  level: 1
                  jurisdiction_overrides:
                    - jurisdiction: US-NC
                      thresholds: {half_life_days: 275}
                      note: North Carolina.
        """)
        #expect(try issues(fixture) == [
            "\(at(fixture, "{half_life_days")): override replaces threshold 'half_life_days', which indicator GOV-01 does not define",
        ])
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let fixture = CatalogFixture()
            .replacingInDomain("scoring: compliance", with: "scoring: stars")
            .replacingInDomain("ref: cfr-10-35", with: "ref: nowhere")
            .replacingInDomain("field: inpatient_therapy", with: "field: beds")
        let found = try issues(fixture)
        #expect(found.count == 3)
        #expect(found == found.sorted { $0.localizedStandardCompare($1) == .orderedAscending })
    }

    @Test func missingReleaseFile() throws {
        let folder = try CatalogFixture().write()
        try FileManager.default.removeItem(atPath: folder + "/release.yaml")
        let (_, issues) = CatalogLoader.read(folder: folder)
        #expect(issues.map(\.description) == ["\(folder)/release.yaml:1:1: missing: every release folder needs a release.yaml"])
    }

    // MARK: - Hostile and broken files: clear errors, never a crash or a hang

    @Test func notUTF8() throws {
        var bytes = Data("release: demo@2026.1\ndomain:\n  code: G".utf8)
        bytes.append(contentsOf: [0xFF, 0xFE])
        let found = try issues(CatalogFixture(), extraFiles: ["02-bad.yaml": bytes])
        #expect(found == ["02-bad.yaml:3:10: is not valid UTF-8 (byte 0xFF); save the file as UTF-8"])
    }

    @Test func truncatedFile() throws {
        let fixture = CatalogFixture()
        let truncated = String(fixture.domain.prefix(fixture.domain.count / 2)) + "\n    - code: \"GOV"
        var broken = fixture
        broken.domain = truncated
        let found = try issues(broken)
        #expect(!found.isEmpty)
        #expect(found.allSatisfy { $0.hasPrefix("01-gov.yaml:") })
    }

    @Test func hugeFile() throws {
        let huge = Data(repeating: UInt8(ascii: "#"), count: CatalogLoader.maximumFileSize + 1)
        let found = try issues(CatalogFixture(), extraFiles: ["02-huge.yaml": huge])
        #expect(found == ["02-huge.yaml:1:1: is \(CatalogLoader.maximumFileSize + 1) bytes; catalog files are limited to 16 MiB"])
    }

    @Test func deeplyNestedFlow() throws {
        let nested = Data(("release: " + String(repeating: "[", count: 100_000)).utf8)
        let found = try issues(CatalogFixture(), extraFiles: ["02-deep.yaml": nested])
        #expect(found == ["02-deep.yaml:1:74: nests brackets more than 64 levels deep"])
    }

    @Test func deeplyNestedBlocks() throws {
        var text = "release: demo@2026.1\n"
        for depth in 0..<2_000 { text += String(repeating: " ", count: depth) + "k\(depth):\n" }
        let found = try issues(CatalogFixture(), extraFiles: ["02-deep.yaml": Data(text.utf8)])
        #expect(found.count == 1)
        #expect(found.first?.hasSuffix("is indented more than 512 columns; catalog files nest at most 64 levels") == true)
    }

    @Test func billionLaughs() throws {
        var text = "release: demo@2026.1\nlol0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n"
        for level in 1...12 {
            text += "lol\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        text += "domain: *a12\n"
        let found = try issues(CatalogFixture(), extraFiles: ["02-laughs.yaml": Data(text.utf8)])
        #expect(found.contains("02-laughs.yaml:2:7: YAML anchors and aliases (&a0, *a0) are not allowed in catalog files"))
        #expect(found.count < 40)
    }

    @Test func tabsAreRefused() throws {
        let fixture = CatalogFixture().replacingInDomain("  code: GOV\n", with: "\tcode: GOV\n")
        let found = try issues(fixture)
        #expect(found.first == "\(at(fixture, "\tcode")): YAML syntax error: tabs cannot indent YAML; use spaces")
    }

    @Test func duplicateKeysInOneMapping() throws {
        let fixture = CatalogFixture().replacingInDomain("          level: 1", with: "          level: 1\n          level: 2")
        let found = try issues(fixture)
        #expect(found.count == 1)
        #expect(found.first?.contains("duplicate key 'level' in one mapping") == true)
    }

    @Test func emptyFolderAndMissingPath() throws {
        #expect(throws: CatalogInvalid.self) { try CatalogLoader.releaseFolders(under: "/nonexistent/catalog") }
        let empty = try TestCluster.makeTemporaryFolder(prefix: "apex-empty")
        #expect {
            try CatalogLoader.releaseFolders(under: empty)
        } throws: { error in
            String(describing: error).contains("no catalog release found: a release folder holds release.yaml")
        }
    }
}

