import Foundation
import TestSupport

/// A small valid release; tests change one thing in it and check the exact problem reported.
struct CatalogFixture {
    var release = """
        release: demo@2026.1
        id: demo
        version: "2026.1"
        title: Demo catalog
        effective: "2026-01-01"
        status: published
        pathways: [rpt-standalone]
        scoring_scales:
          - id: compliance
            title: Compliance
            values:
              - {id: compliant, title: Compliant, meets: true}
              - {id: non-compliant, title: Non-compliant, meets: false}
        references:
          - id: cfr-10-35
            title: 10 CFR Part 35
            publisher: U.S. Nuclear Regulatory Commission
            year: 2024
            url: https://www.nrc.gov/reading-rm/doc-collections/cfr/part035/
        """

    var domain = """
        release: demo@2026.1
        domain:
          code: GOV
          title: Governance
          summary: Oversight of the programme.
          standards:
            - code: GOV.1
              title: Licensing
              summary: The licence covers the work.
              indicators:
                - code: GOV-01
                  title: Licence
                  requirement: Hold a licence that covers every RPT use.
                  guidance: Compare the licence with the scope.
                  evidence:
                    - kind: licence
                      description: The licence and its amendments
                  level: 1
                  scoring: compliance
                  references:
                    - ref: cfr-10-35
                      locator: "10 CFR 35.300"
                - code: GOV-02
                  title: Inpatient rooms
                  requirement: Rooms for patients who cannot be released are posted.
                  guidance: Walk the rooms.
                  evidence: []
                  level: 2
                  applicability:
                    when: {field: inpatient_therapy, equals: true}
                    reason: The practice declares inpatient therapy.
                  scoring: compliance
                  references:
                    - ref: cfr-10-35
                      locator: "10 CFR 35.315"
        """

    static let domainFile = "01-gov.yaml"

    /// Replaces the first occurrence of `old` in the domain file.
    func replacingInDomain(_ old: String, with new: String) -> CatalogFixture {
        precondition(domain.contains(old), "fixture lacks \(old)")
        var copy = self
        copy.domain = domain.replacing(old, with: new, maxReplacements: 1)
        return copy
    }

    func replacingInRelease(_ old: String, with new: String) -> CatalogFixture {
        precondition(release.contains(old), "fixture lacks \(old)")
        var copy = self
        copy.release = release.replacing(old, with: new, maxReplacements: 1)
        return copy
    }

    /// Writes the release to a new folder and returns its path.
    func write(extraFiles: [String: Data] = [:]) throws -> String {
        let folder = try TestCluster.makeTemporaryFolder(prefix: "apex-catalog")
        try release.write(toFile: folder + "/release.yaml", atomically: true, encoding: .utf8)
        try domain.write(toFile: folder + "/" + Self.domainFile, atomically: true, encoding: .utf8)
        for (name, data) in extraFiles {
            try data.write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        return folder
    }

    /// 1-based line and column where the `occurrence`-th `needle` starts in `text`.
    static func position(of needle: String, in text: String, occurrence: Int = 1) -> (line: Int, column: Int) {
        var searchFrom = text.startIndex
        var found = text.startIndex
        for _ in 0..<occurrence {
            guard let range = text.range(of: needle, range: searchFrom..<text.endIndex) else { fatalError("\(needle) not found") }
            found = range.lowerBound
            searchFrom = range.upperBound
        }
        let before = text[..<found]
        let line = before.filter { $0 == "\n" }.count + 1
        let column = before.distance(from: before.lastIndex(of: "\n").map { before.index(after: $0) } ?? before.startIndex, to: before.endIndex) + 1
        return (line, column)
    }
}
