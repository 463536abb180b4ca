import AccreditationCore
import Foundation
import Yams

/// What `release.yaml` declares: identity, scales and the references registry.
struct ReleaseHeader {
    let id: String
    let version: String
    let title: String
    let effective: String
    let status: ReleaseStatus
    let pathways: [Pathway]
    let scales: [ScoringScale]
    let references: [Reference]
    var releaseID: String { CatalogRelease.releaseID(id: id, version: version) }
}

/// The shapes of codes and ids, checked by hand: they run for every indicator, and Swift's Regex is
/// too slow for a 10,000-indicator catalog.
enum Patterns {
    typealias Shape = @Sendable (Substring) -> Bool

    static func upper(_ c: Character) -> Bool { c.isASCII && c.isUppercase }
    static func lower(_ c: Character) -> Bool { c.isASCII && c.isLowercase }
    static func digit(_ c: Character) -> Bool { c.isASCII && c.isNumber }
    static func digits(_ s: Substring, _ range: ClosedRange<Int>) -> Bool { range.contains(s.count) && s.allSatisfy(digit) }

    /// `[a-z0-9]+(-[a-z0-9]+)*`
    static let slug: Shape = { s in
        !s.isEmpty && s.split(separator: "-", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part.allSatisfy { lower($0) || digit($0) }
        }
    }
    static let catalogID: Shape = { s in s.first.map(lower) == true && slug(s) }
    static let version: Shape = { s in
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && digits(parts[0], 4...4) && digits(parts[1], 1...9)
    }
    static let releaseID: Shape = { s in
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && catalogID(parts[0]) && version(parts[1])
    }
    static let date: Shape = { s in
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && digits(parts[0], 4...4) && digits(parts[1], 2...2) && digits(parts[2], 2...2)
    }
    static let domainCode: Shape = { s in (2...4).contains(s.count) && s.allSatisfy(upper) }
    static let standardCode: Shape = { s in
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && domainCode(parts[0]) && digits(parts[1], 1...3)
    }
    static let indicatorCode: Shape = { s in
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && domainCode(parts[0]) && digits(parts[1], 2...3)
    }
    /// An Agreement State: `US-XX`.
    static let jurisdiction: Shape = { s in s.hasPrefix("US-") && s.count == 5 && s.dropFirst(3).allSatisfy(upper) }
    /// A regulator: `US-NRC` or an Agreement State.
    static let regulator: Shape = { s in s == "US-NRC" || jurisdiction(s) }
    /// The nine publicly named APEx standards, `S1` to `S9`.
    static let apexStandard: Shape = { s in s.first == "S" && digits(s.dropFirst(), 1...1) && s.dropFirst().first != "0" }
    /// `[a-z][a-z0-9]*(_[a-z0-9]+)+`: snake_case with at least two words (the last is usually the unit).
    static let thresholdName: Shape = { s in
        let words = s.split(separator: "_", omittingEmptySubsequences: false)
        return s.first.map(lower) == true && words.count >= 2
            && words.allSatisfy { word in !word.isEmpty && word.allSatisfy { lower($0) || digit($0) } }
    }
    static let url: Shape = { s in
        (s.hasPrefix("https://") || s.hasPrefix("http://")) && s.count > 8 && !s.contains(where: \.isWhitespace)
    }
}

struct ReleaseReader {
    let reader: NodeReader

    func read(_ root: Node) -> ReleaseHeader? {
        guard let fields = reader.fields(root, "the release file", required: [
            "release", "id", "version", "title", "effective", "status", "pathways", "scoring_scales", "references",
        ]) else { return nil }
        let releaseID = reader.text(fields["release"], "'release'", matching: Patterns.releaseID, example: "apex-rpt@2026.1")
        let id = reader.text(fields["id"], "'id'", matching: Patterns.catalogID, example: "apex-rpt")
        let version = reader.text(fields["version"], "'version'", matching: Patterns.version, example: "\"2026.1\"")
        let title = reader.text(fields["title"], "'title'")
        let effective = readDate(fields["effective"])
        let status = reader.choice(fields["status"], ReleaseStatus.self, "'status'")
        let pathwayNodes = reader.list(fields["pathways"], "'pathways'", nonEmpty: true)
        let pathways = pathwayNodes.flatMap { nodes -> [Pathway]? in
            let pathways = nodes.compactMap { reader.choice($0, Pathway.self, "pathway") }
            return pathways.count == nodes.count && reader.unique(pathways, nodes, "'pathways'") ? pathways : nil
        }
        let scales = readScales(fields["scoring_scales"])
        let references = readReferences(fields["references"])
        if let releaseID, let id, let version, releaseID != CatalogRelease.releaseID(id: id, version: version) {
            reader.report(fields["release"], "'release' is '\(releaseID)' but id and version make '\(CatalogRelease.releaseID(id: id, version: version))'")
        }
        guard let id, let version, let title, let effective, let status, let pathways, let scales, let references else { return nil }
        return ReleaseHeader(id: id, version: version, title: title, effective: effective, status: status,
                             pathways: pathways, scales: scales, references: references)
    }

    private func readDate(_ node: Node?) -> String? {
        guard let text = reader.text(node, "'effective'", matching: Patterns.date, example: "\"2026-07-01\"") else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard let date = formatter.date(from: text), formatter.string(from: date) == text else {
            reader.report(node, "'effective' \(text) is not a calendar date")
            return nil
        }
        return text
    }

    private func readScales(_ node: Node?) -> [ScoringScale]? {
        guard let items = reader.list(node, "'scoring_scales'", nonEmpty: true) else { return nil }
        var seen = Set<String>()
        let scales = items.compactMap { item -> ScoringScale? in
            guard let fields = reader.fields(item, "a scoring scale", required: ["id", "title", "values"]),
                  let id = reader.text(fields["id"], "scale 'id'", matching: Patterns.slug, example: "compliance"),
                  let title = reader.text(fields["title"], "scale 'title'"),
                  let valueNodes = reader.list(fields["values"], "scale 'values'", nonEmpty: true) else { return nil }
            if valueNodes.count < 2 {
                reader.report(fields["values"], "scale '\(id)' needs at least two values: one that meets the requirement and one that does not")
            }
            if !seen.insert(id).inserted { reader.report(fields["id"], "duplicate scoring scale '\(id)'") }
            let values = valueNodes.compactMap { value -> ScaleValue? in
                guard let f = reader.fields(value, "a scale value", required: ["id", "title", "meets"], optional: ["not_applicable"]),
                      let valueID = reader.text(f["id"], "value 'id'", matching: Patterns.slug, example: "compliant"),
                      let valueTitle = reader.text(f["title"], "value 'title'"),
                      let meets = reader.flag(f["meets"], "'meets'") else { return nil }
                let notApplicable = f["not_applicable"].flatMap { reader.flag($0, "'not_applicable'") } ?? false
                return ScaleValue(id: valueID, title: valueTitle, meets: meets, notApplicable: notApplicable)
            }
            if values.count == valueNodes.count && values.filter(\.meets).count != 1 {
                reader.report(fields["values"], "scale '\(id)' must have exactly one value with meets: true")
            }
            return ScoringScale(id: id, title: title, values: values)
        }
        return scales.count == items.count ? scales : nil
    }

    private func readReferences(_ node: Node?) -> [Reference]? {
        guard let items = reader.list(node, "'references'", nonEmpty: true) else { return nil }
        var seen: [String: SourceLocation] = [:]
        let references = items.compactMap { item -> Reference? in
            guard let fields = reader.fields(item, "a reference", required: ["id", "title", "publisher", "year", "url"]),
                  let id = reader.text(fields["id"], "reference 'id'", matching: Patterns.slug, example: "cfr-10-35"),
                  let title = reader.text(fields["title"], "reference 'title'"),
                  let publisher = reader.text(fields["publisher"], "reference 'publisher'"),
                  let year = reader.integer(fields["year"], "reference 'year'", in: Limits.year),
                  let url = reader.text(fields["url"], "reference 'url'", matching: Patterns.url, example: "https://…") else { return nil }
            if let first = seen[id] {
                reader.report(fields["id"], "duplicate reference id '\(id)' (first defined at \(first.short))")
            } else {
                seen[id] = reader.location(fields["id"])
            }
            return Reference(id: id, title: title, publisher: publisher, year: year, url: url)
        }
        return references.count == items.count ? references : nil
    }
}
