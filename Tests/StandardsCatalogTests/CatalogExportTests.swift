import AccreditationCore
import Foundation
import StandardsCatalog
import TestSupport
import Testing

/// `apex standards export-json`: what apex read, which scripts/check-schema.py checks against the schema.
@Suite struct CatalogExportTests {
    static let release = RealCatalogTests.standards + "/apex-rpt/2026.1"
    static let scopes = ["scope-community-lu177.yaml", "scope-comprehensive.yaml"].map { RealCatalogTests.examples + "/" + $0 }

    @Test func theRealCatalogExportsWhatTheLoaderRead() throws {
        let loaded = try CatalogLoader.load(folder: Self.release)
        let document = try CatalogExport.document(releaseFolders: [Self.release], scopeFiles: Self.scopes)
        #expect(document.releases.count == 1)
        let exported = try #require(document.releases.first)
        #expect(exported.release == "apex-rpt@2026.1")
        #expect(exported.indicators == loaded.indicators.count)
        #expect(exported.indicators == 65)
        #expect(exported.domains == 8)
        #expect(exported.standards == 24)
        #expect(exported.files.map(\.kind) == ["release"] + Array(repeating: "domain", count: 8))

        // The content holds the values the loader built, typed as the loader typed them.
        let indicators = exported.files.dropFirst().flatMap { file in
            file.content["domain"]?["standards"]?.items.flatMap { $0["indicators"]?.items ?? [] } ?? []
        }
        #expect(indicators.count == 65)
        for (json, located) in zip(indicators, loaded.indicators) {
            let indicator = located.indicator
            #expect(json["code"] == .string(indicator.code))
            #expect(json["level"] == .integer(indicator.level.rawValue))
            var thresholds: [String: Double] = [:]
            if case let .object(members)? = json["thresholds"] {
                for (name, value) in members {
                    switch value {
                    case let .integer(number): thresholds[name] = Double(number)
                    case let .number(number): thresholds[name] = number
                    default: Issue.record("threshold \(name) of \(indicator.code) is \(value)")
                    }
                }
            }
            #expect(thresholds == indicator.thresholds, "\(indicator.code)")
        }
        let releaseFile = exported.files[0]
        #expect(releaseFile.content["version"] == .string("2026.1"))
        #expect(releaseFile.content["references"]?.items.first?["year"].map { if case .integer = $0 { true } else { false } } == true)
        #expect(releaseFile.locations["/version"] == "6:10")
        #expect(exported.files[1].locations["/domain/standards/0/indicators/0/level"] != nil)

        #expect(document.scopes.map(\.kind) == ["scope", "scope"])
        #expect(document.scopes[1].content["inpatient_therapy"] == .bool(true))
    }

    /// JSON text back to the same document, and the exported content, read as YAML (JSON is YAML),
    /// back to the same release.
    @Test func theExportRoundTrips() throws {
        let loaded = try CatalogLoader.load(folder: Self.release)
        let document = try CatalogExport.document(releaseFolders: [Self.release])
        let json = try CatalogExport.json(document)
        #expect(try JSONDecoder().decode(CatalogExport.Document.self, from: json) == document)
        #expect(try CatalogExport.json(CatalogExport.document(releaseFolders: [Self.release])) == json, "the export is deterministic")

        let folder = try TestCluster.makeTemporaryFolder(prefix: "apex-export")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for file in document.releases[0].files {
            let name = URL(fileURLWithPath: file.file).lastPathComponent
            try encoder.encode(file.content).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        #expect(try CatalogLoader.load(folder: folder) == loaded)
    }

    @Test func nothingIsExportedFromAReleaseApexRefuses() throws {
        let folder = try CatalogFixture().replacingInDomain("level: 1", with: "level: 010").write()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect {
            try CatalogExport.document(releaseFolders: [folder])
        } throws: { error in
            let issues = (error as? CatalogInvalid)?.issues ?? []
            return issues.count == 1 && issues[0].file == folder + "/01-gov.yaml" && issues[0].message.contains("'level' is written 010 with a leading zero")
        }
    }
}
