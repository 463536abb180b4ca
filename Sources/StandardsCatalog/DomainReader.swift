import AccreditationCore
import Foundation
import Yams

/// State shared by the domain files of one release: the header they are checked against and the codes
/// seen so far (codes are unique across the whole release).
final class DomainContext {
    let header: ReleaseHeader?
    let referenceIDs: Set<String>?
    let scaleIDs: Set<String>?
    var codes: [String: SourceLocation] = [:]
    var supersedes: [(code: String, target: String, at: SourceLocation)] = []

    init(header: ReleaseHeader?) {
        self.header = header
        referenceIDs = header.map { Set($0.references.map(\.id)) }
        scaleIDs = header.map { Set($0.scales.map(\.id)) }
    }

    /// Reports a code used twice in the release; returns false for the duplicate.
    func claim(_ code: String, kind: String, at location: SourceLocation, reader: NodeReader, node: Node?) -> Bool {
        if let first = codes[code] {
            reader.report(node, "duplicate \(kind) code \(code) (first defined at \(first.short))")
            return false
        }
        codes[code] = location
        return true
    }

    /// A renumbered indicator names its old code; following those links must never come back round.
    func checkSupersedesCycles(log: IssueLog) {
        let next = Dictionary(supersedes.map { ($0.code, $0.target) }, uniquingKeysWith: { first, _ in first })
        var reported = Set<String>()
        for link in supersedes.sorted(by: { $0.code < $1.code }) where !reported.contains(link.code) {
            var path = [link.code]
            var current = link.target
            while let following = next[current], !path.contains(current) {
                path.append(current)
                current = following
            }
            if current == link.code {
                path.append(current)
                log.add(link.at.file, link.at.line, link.at.column, "supersedes cycle: \(path.joined(separator: " → "))")
                reported.formUnion(path)
            }
        }
    }
}

struct DomainReader {
    let reader: NodeReader
    let context: DomainContext

    func read(_ root: Node) -> Domain? {
        guard let file = reader.fields(root, "a domain file", required: ["release", "domain"]) else { return nil }
        if let releaseID = reader.text(file["release"], "'release'", matching: Patterns.releaseID, example: "apex-rpt@2026.1"),
           let header = context.header, releaseID != header.releaseID {
            reader.report(file["release"], "this file belongs to release '\(releaseID)' but \(CatalogLoader.releaseFileName) declares '\(header.releaseID)'")
        }
        guard let node = file["domain"],
              let fields = reader.fields(node, "the domain", required: ["code", "title", "summary", "standards"]) else { return nil }
        let code = reader.text(fields["code"], "domain 'code'", matching: Patterns.domainCode, example: "GOV")
        if let code { _ = context.claim(code, kind: "domain", at: reader.location(fields["code"]), reader: reader, node: fields["code"]) }
        let title = reader.text(fields["title"], "domain 'title'")
        let summary = reader.text(fields["summary"], "domain 'summary'")
        let standards = reader.list(fields["standards"], "domain 'standards'", nonEmpty: true)?.compactMap { readStandard($0, domain: code) }
        guard let code, let title, let summary, let standards else { return nil }
        return Domain(code: code, title: title, summary: summary, standards: standards)
    }

    private func readStandard(_ node: Node, domain: String?) -> Standard? {
        guard let fields = reader.fields(node, "a standard", required: ["code", "title", "summary", "indicators"]) else { return nil }
        let code = reader.text(fields["code"], "standard 'code'", matching: Patterns.standardCode, example: "GOV.1")
        if let code {
            if let domain, !code.hasPrefix(domain + ".") {
                reader.report(fields["code"], "standard \(code) does not start with its domain code \(domain).")
            }
            _ = context.claim(code, kind: "standard", at: reader.location(fields["code"]), reader: reader, node: fields["code"])
        }
        let title = reader.text(fields["title"], "standard 'title'")
        let summary = reader.text(fields["summary"], "standard 'summary'")
        let indicators = reader.list(fields["indicators"], "standard 'indicators'", nonEmpty: true)?.compactMap(readIndicator)
        guard let code, let title, let summary, let indicators else { return nil }
        return Standard(code: code, title: title, summary: summary, indicators: indicators)
    }

    private func readIndicator(_ node: Node) -> Indicator? {
        guard let fields = reader.fields(node, "an indicator", required: [
            "code", "title", "requirement", "guidance", "evidence", "level", "scoring", "references",
        ], optional: ["applicability", "apex", "thresholds", "jurisdiction_overrides", "supersedes"]) else { return nil }
        let code = reader.text(fields["code"], "indicator 'code'", matching: Patterns.indicatorCode, example: "GOV-01")
        if let code { _ = context.claim(code, kind: "indicator", at: reader.location(fields["code"]), reader: reader, node: fields["code"]) }
        let name = code.map { "indicator \($0)" } ?? "the indicator"

        let title = reader.text(fields["title"], "\(name) 'title'")
        var requirement: String?
        if let node = fields["requirement"] {
            if case let .scalar(scalar) = node, NodeReader.trimmed(scalar.string).isEmpty || NodeReader.isNull(scalar) {
                reader.report(node, "\(name) has an empty requirement; say in plain words what the practice must do")
            } else {
                requirement = reader.text(node, "\(name) 'requirement'")
            }
        }
        let guidance = reader.text(fields["guidance"], "\(name) 'guidance'")
        let level = reader.integer(fields["level"], "\(name) 'level'", in: Limits.level).flatMap(Level.init(rawValue:))
        let evidence = reader.list(fields["evidence"], "\(name) 'evidence'")?.compactMap(readEvidence)
        if level == .mustMeet, let list = fields["evidence"], case .sequence(let items) = list, items.isEmpty {
            reader.report(list, "level-1 \(name) lists no expected evidence; a must-meet indicator needs at least one")
        }
        let scoring = reader.text(fields["scoring"], "\(name) 'scoring'")
        if let scoring, let scales = context.scaleIDs, !scales.contains(scoring) {
            reader.report(fields["scoring"], "\(name) uses unknown scoring scale '\(scoring)'; known: \(scales.sorted().joined(separator: ", "))")
        }
        let references = readCitations(fields["references"], owner: name, required: true)
        let applicability = fields["applicability"].flatMap { readApplicability($0, owner: name) }
        let apex = fields["apex"].flatMap(readApex)
        let thresholds = fields["thresholds"].flatMap { reader.numbers($0, "\(name) 'thresholds'") } ?? [:]
        let overrides = fields["jurisdiction_overrides"].flatMap { readOverrides($0, owner: name, thresholds: thresholds) } ?? []
        let supersedes = fields["supersedes"].flatMap { reader.text($0, "'supersedes'", matching: Patterns.indicatorCode, example: "GOV-01") }
        if let code, let supersedes {
            context.supersedes.append((code, supersedes, reader.location(fields["supersedes"])))
        }

        guard let code, let title, let requirement, let guidance, let level, let evidence, let scoring, let references else { return nil }
        return Indicator(
            code: code, title: title, requirement: requirement, guidance: guidance, evidence: evidence, level: level,
            applicability: applicability, scoring: scoring, references: references, apex: apex, thresholds: thresholds,
            jurisdictionOverrides: overrides, supersedes: supersedes
        )
    }

    private func readEvidence(_ node: Node) -> ExpectedEvidence? {
        guard let fields = reader.fields(node, "an evidence item", required: ["kind", "description"]),
              let kind = reader.choice(fields["kind"], EvidenceKind.self, "evidence 'kind'"),
              let description = reader.text(fields["description"], "evidence 'description'") else { return nil }
        return ExpectedEvidence(kind: kind, description: description)
    }

    private func readCitations(_ node: Node?, owner: String, required: Bool) -> [Citation]? {
        guard let items = reader.list(node, "\(owner) 'references'", nonEmpty: required) else { return nil }
        let citations = items.compactMap { item -> Citation? in
            guard let fields = reader.fields(item, "a citation", required: ["ref", "locator"]),
                  let ref = reader.text(fields["ref"], "citation 'ref'"),
                  let locator = reader.text(fields["locator"], "citation 'locator'") else { return nil }
            if let known = context.referenceIDs, !known.contains(ref) {
                reader.report(fields["ref"], "unknown reference '\(ref)': add it to the references of \(CatalogLoader.releaseFileName)")
                return nil
            }
            return Citation(ref: ref, locator: locator)
        }
        return citations.count == items.count ? citations : nil
    }

    private func readApplicability(_ node: Node, owner: String) -> Applicability? {
        guard let fields = reader.fields(node, "\(owner) 'applicability'", required: ["when", "reason"]),
              let when = fields["when"],
              let rule = readRule(when, depth: 0),
              let reason = reader.text(fields["reason"], "applicability 'reason'") else { return nil }
        return Applicability(when: rule, reason: reason)
    }

    /// The rule language: `{field, equals|includes_any|at_least}`, `{all: […]}`, `{any: […]}`, `{not: …}`.
    private func readRule(_ node: Node, depth: Int) -> ApplicabilityRule? {
        guard depth < 16 else {
            reader.report(node, "applicability rule nests more than 16 levels")
            return nil
        }
        guard reader.plain(node), case let .mapping(mapping) = node else {
            reader.report(node, "an applicability rule must be a mapping such as {field: inpatient_therapy, equals: true}")
            return nil
        }
        let keys = Set(mapping.keys.compactMap { $0.scalar?.string })
        for combinator in ["all", "any"] where keys.contains(combinator) {
            guard let fields = reader.fields(node, "an '\(combinator)' rule", required: [combinator]),
                  let items = reader.list(fields[combinator], "'\(combinator)'", nonEmpty: true) else { return nil }
            let rules = items.compactMap { readRule($0, depth: depth + 1) }
            guard rules.count == items.count else { return nil }
            return combinator == "all" ? .all(rules) : .any(rules)
        }
        if keys.contains("not") {
            guard let fields = reader.fields(node, "a 'not' rule", required: ["not"]), let inner = fields["not"],
                  let rule = readRule(inner, depth: depth + 1) else { return nil }
            return .not(rule)
        }
        guard let fields = reader.fields(node, "an applicability rule", required: ["field"], optional: ["equals", "includes_any", "at_least"]),
              let name = reader.text(fields["field"], "rule 'field'") else { return nil }
        guard let field = ScopeField(rawValue: name) else {
            reader.report(fields["field"], "applicability rule names unknown scope field '\(name)'; known fields: \(ScopeField.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        let tests = ["equals", "includes_any", "at_least"].filter { fields[$0] != nil }
        guard tests.count == 1 else {
            reader.report(node, "an applicability rule on '\(name)' needs exactly one of equals, includes_any, at_least")
            return nil
        }
        switch (field.kind, tests[0]) {
        case (.flag, "equals"):
            return reader.flag(fields["equals"], "'equals'").map { .equals(field, $0) }
        case (.agentSet, "includes_any"):
            guard let items = reader.list(fields["includes_any"], "'includes_any'", nonEmpty: true) else { return nil }
            let agents = items.compactMap { reader.choice($0, RPTAgent.self, "agent") }
            guard agents.count == items.count, reader.unique(agents, items, "'includes_any'") else { return nil }
            return .includesAny(field, agents)
        case (.count, "at_least"):
            return reader.integer(fields["at_least"], "'at_least'", in: Limits.count(field)).map { .atLeast(field, $0) }
        default:
            let expected = switch field.kind {
            case .flag: "equals: true or false"
            case .agentSet: "includes_any: [agents]"
            case .count: "at_least: a number"
            }
            reader.report(fields[tests[0]], "'\(tests[0])' does not fit scope field '\(name)'; use \(expected)")
            return nil
        }
    }

    private func readApex(_ node: Node) -> ApexMapping? {
        guard let fields = reader.fields(node, "'apex'", required: ["pillar"], optional: ["standard"]),
              let pillar = reader.choice(fields["pillar"], ApexPillar.self, "APEx 'pillar'") else { return nil }
        let standard = fields["standard"].flatMap { reader.text($0, "APEx 'standard'", matching: Patterns.apexStandard, example: "S8") }
        return ApexMapping(pillar: pillar, standard: standard)
    }

    private func readOverrides(_ node: Node, owner: String, thresholds: [String: Double]) -> [JurisdictionOverride]? {
        guard let items = reader.list(node, "\(owner) 'jurisdiction_overrides'", nonEmpty: true) else { return nil }
        var seen = Set<String>()
        let overrides = items.compactMap { item -> JurisdictionOverride? in
            guard let fields = reader.fields(item, "a jurisdiction override", required: ["jurisdiction", "note"], optional: ["references", "thresholds"]),
                  let jurisdiction = reader.text(fields["jurisdiction"], "'jurisdiction'", matching: Patterns.jurisdiction, example: "US-NC"),
                  let note = reader.text(fields["note"], "override 'note'") else { return nil }
            if !seen.insert(jurisdiction).inserted {
                reader.report(fields["jurisdiction"], "\(owner) overrides \(jurisdiction) twice")
            }
            let references = fields["references"].flatMap { readCitations($0, owner: "override", required: true) }
            let replaced = fields["thresholds"].flatMap { reader.numbers($0, "override 'thresholds'") }
            for name in (replaced ?? [:]).keys.sorted() where thresholds[name] == nil {
                reader.report(fields["thresholds"], "override replaces threshold '\(name)', which \(owner) does not define")
            }
            if fields["references"] == nil && fields["thresholds"] == nil {
                reader.report(item, "a jurisdiction override must replace references, thresholds or both")
            }
            return JurisdictionOverride(jurisdiction: jurisdiction, references: references, thresholds: replaced, note: note)
        }
        return overrides
    }
}
