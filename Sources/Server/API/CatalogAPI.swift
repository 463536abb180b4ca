import AccreditationCore
import APIDefinition
import Foundation
import OpenAPIRuntime
import Persistence
import StandardsCatalog

extension APIHandler {
    func listCatalogReleases(_ input: Operations.ListCatalogReleases.Input) async throws -> Operations.ListCatalogReleases.Output {
        _ = try Self.caller()
        let limit = try Self.pageSize(input.query.limit)
        let after = try input.query.cursor.map(PageCursor.decode)
        let page = try await catalog.list(after: after, limit: limit + 1)
        let items = page.prefix(limit).map(Components.Schemas.ReleaseSummary.init)
        let next = page.count > limit ? page.prefix(limit).last.map { PageCursor.encode($0.releaseID) } : nil
        return .ok(.init(body: .json(.init(items: Array(items), nextCursor: next))))
    }

    func getCatalogRelease(_ input: Operations.GetCatalogRelease.Input) async throws -> Operations.GetCatalogRelease.Output {
        _ = try Self.caller()
        guard let stored = try await catalog.release(id: input.path.releaseId) else {
            return .notFound(.init(body: .applicationProblemJson(.notFound("No catalog release \(input.path.releaseId)."))))
        }
        return .ok(.init(body: .json(.init(stored))))
    }

    func getCatalogIndicator(_ input: Operations.GetCatalogIndicator.Input) async throws -> Operations.GetCatalogIndicator.Output {
        _ = try Self.caller()
        guard let stored = try await catalog.release(id: input.path.releaseId) else {
            return .notFound(.init(body: .applicationProblemJson(.notFound("No catalog release \(input.path.releaseId)."))))
        }
        guard let located = stored.release.indicator(code: input.path.code) else {
            return .notFound(.init(body: .applicationProblemJson(.notFound("Release \(input.path.releaseId) has no indicator \(input.path.code)."))))
        }
        return .ok(.init(body: .json(.init(
            releaseId: stored.release.releaseID, domain: located.domain, standard: located.standard, indicator: .init(located.indicator)
        ))))
    }

    func evaluateApplicability(_ input: Operations.EvaluateApplicability.Input) async throws -> Operations.EvaluateApplicability.Output {
        _ = try Self.caller()
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        guard let stored = try await catalog.release(id: input.path.releaseId) else {
            return .notFound(.init(body: .applicationProblemJson(.notFound("No catalog release \(input.path.releaseId)."))))
        }
        let scope = PracticeScope(
            agents: Set(body.agents.compactMap { RPTAgent(rawValue: $0.rawValue) }),
            inpatientTherapy: body.inpatientTherapy ?? false,
            patientSpecificDosimetry: body.patientSpecificDosimetry ?? false,
            siteCount: body.siteCount ?? 1,
            licensedUseTypes: body.licensedUseTypes ?? 1,
            jurisdiction: body.jurisdiction ?? "US-NRC"
        )
        // The generated decoder checks types, not the document's ranges and patterns.
        guard (1...1000).contains(scope.siteCount), (1...20).contains(scope.licensedUseTypes),
              scope.jurisdiction == "US-NRC" || (scope.jurisdiction.count == 5 && scope.jurisdiction.hasPrefix("US-")
                && scope.jurisdiction.dropFirst(3).allSatisfy { $0.isASCII && $0.isUppercase }) else {
            throw Problem.badRequest("site_count is 1 to 1000, licensed_use_types 1 to 20, and jurisdiction US-NRC or US-XX.")
        }
        let decisions = stored.release.applicability(for: scope)
        let items = decisions.map { decision in
            let indicator = decision.indicator.indicator
            let resolved = indicator.resolved(for: scope.jurisdiction)
            return Components.Schemas.ApplicabilityItem(
                code: indicator.code, title: indicator.title, domain: decision.indicator.domain, standard: decision.indicator.standard,
                level: indicator.level.rawValue, applies: decision.applies, reason: decision.reason,
                references: resolved.references.map(Components.Schemas.Citation.init),
                thresholds: .init(additionalProperties: resolved.thresholds), jurisdictionNote: resolved.note
            )
        }
        return .ok(.init(body: .json(.init(
            releaseId: stored.release.releaseID, jurisdiction: scope.jurisdiction,
            applicableCount: decisions.filter(\.applies).count, items: items
        ))))
    }
}

// MARK: - Domain → API types

extension Components.Schemas.Problem {
    static func notFound(_ detail: String) -> Self {
        .init(_type: Problem.typeBase + "not-found", title: "Not found", status: 404, detail: detail)
    }
}

extension Components.Schemas.ReleaseSummary {
    init(_ summary: ReleaseSummary) {
        self.init(
            releaseId: summary.releaseID, id: summary.catalogID, version: summary.version, title: summary.title,
            effective: summary.effective, status: .init(rawValue: summary.status.rawValue)!, contentHash: summary.contentHash,
            indicatorCount: summary.indicatorCount, publishedAt: summary.publishedAt
        )
    }
}

extension Components.Schemas.CatalogRelease {
    init(_ stored: StoredRelease) {
        let release = stored.release
        self.init(
            releaseId: release.releaseID, id: release.id, version: release.version, title: release.title,
            effective: release.effective, status: .init(rawValue: release.status.rawValue)!,
            pathways: release.pathways.map { .init(rawValue: $0.rawValue)! },
            scoringScales: release.scoringScales.map { scale in
                .init(id: scale.id, title: scale.title, values: scale.values.map {
                    .init(id: $0.id, title: $0.title, meets: $0.meets, notApplicable: $0.notApplicable)
                })
            },
            references: release.references.map { .init(id: $0.id, title: $0.title, publisher: $0.publisher, year: $0.year, url: $0.url) },
            domains: release.domains.map { domain in
                .init(code: domain.code, title: domain.title, summary: domain.summary, standards: domain.standards.map { standard in
                    .init(code: standard.code, title: standard.title, summary: standard.summary,
                          indicators: standard.indicators.map(Components.Schemas.Indicator.init))
                })
            },
            contentHash: stored.contentHash
        )
    }
}

extension Components.Schemas.Indicator {
    init(_ indicator: Indicator) {
        self.init(
            code: indicator.code, title: indicator.title, requirement: indicator.requirement, guidance: indicator.guidance,
            evidence: indicator.evidence.map { .init(kind: .init(rawValue: $0.kind.rawValue)!, description: $0.description) },
            level: indicator.level.rawValue,
            applicability: indicator.applicability.map { .init(when: .init($0.when), reason: $0.reason) },
            scoring: indicator.scoring,
            references: indicator.references.map(Components.Schemas.Citation.init),
            apex: indicator.apex.map { .init(pillar: .init(rawValue: $0.pillar.rawValue)!, standard: $0.standard) },
            thresholds: .init(additionalProperties: indicator.thresholds),
            jurisdictionOverrides: indicator.jurisdictionOverrides.map {
                .init(jurisdiction: $0.jurisdiction, references: $0.references?.map(Components.Schemas.Citation.init),
                      thresholds: $0.thresholds.map { .init(additionalProperties: $0) }, note: $0.note)
            },
            supersedes: indicator.supersedes
        )
    }
}

extension Components.Schemas.Citation {
    init(_ citation: Citation) {
        self.init(ref: citation.ref, locator: citation.locator)
    }
}

extension Components.Schemas.ApplicabilityRule {
    init(_ rule: ApplicabilityRule) {
        self.init()
        switch rule {
        case let .equals(field, value):
            self.field = .init(rawValue: field.rawValue)
            self.equals = value
        case let .includesAny(field, agents):
            self.field = .init(rawValue: field.rawValue)
            self.includesAny = agents.compactMap { .init(rawValue: $0.rawValue) }
        case let .atLeast(field, minimum):
            self.field = .init(rawValue: field.rawValue)
            self.atLeast = minimum
        case let .all(rules): self.all = rules.map(Self.init)
        case let .any(rules): self.any = rules.map(Self.init)
        case let .not(inner): self.not = Self(inner)
        }
    }
}
