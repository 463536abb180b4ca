/// A standards catalog release: the criteria a practice is assessed against, as data. Once published a
/// release never changes; applications stay pinned to the release they were assessed against.
public struct CatalogRelease: Sendable, Equatable, Codable {
    public var id: String
    public var version: String
    public var title: String
    /// Calendar date, `YYYY-MM-DD`.
    public var effective: String
    public var status: ReleaseStatus
    public var pathways: [Pathway]
    public var scoringScales: [ScoringScale]
    public var references: [Reference]
    public var domains: [Domain]

    public init(id: String, version: String, title: String, effective: String, status: ReleaseStatus,
                pathways: [Pathway], scoringScales: [ScoringScale], references: [Reference], domains: [Domain]) {
        self.id = id
        self.version = version
        self.title = title
        self.effective = effective
        self.status = status
        self.pathways = pathways
        self.scoringScales = scoringScales
        self.references = references
        self.domains = domains
    }

    /// `apex-rpt@2026.1`: names the release everywhere (files, database, API).
    public var releaseID: String { Self.releaseID(id: id, version: version) }
    public static func releaseID(id: String, version: String) -> String { "\(id)@\(version)" }

    /// Every indicator with the domain and standard it sits in, in catalog order.
    public var indicators: [LocatedIndicator] {
        domains.flatMap { domain in
            domain.standards.flatMap { standard in
                standard.indicators.map { LocatedIndicator(domain: domain.code, standard: standard.code, indicator: $0) }
            }
        }
    }

    public func indicator(code: String) -> LocatedIndicator? {
        indicators.first { $0.indicator.code == code }
    }

    public func scale(id: String) -> ScoringScale? { scoringScales.first { $0.id == id } }

    enum CodingKeys: String, CodingKey {
        case id, version, title, effective, status, pathways, references, domains
        case scoringScales = "scoring_scales"
    }
}

public struct LocatedIndicator: Sendable, Equatable {
    public let domain: String
    public let standard: String
    public let indicator: Indicator
}

public enum ReleaseStatus: String, Sendable, Codable, CaseIterable {
    case draft, published, retired
}

/// How the RPT criteria are taken: together with an APEx (radiation oncology) accreditation, or alone.
public enum Pathway: String, Sendable, Codable, CaseIterable {
    case rptPaired = "rpt-paired"
    case rptStandalone = "rpt-standalone"
}

public struct ScoringScale: Sendable, Equatable, Codable {
    public var id: String
    public var title: String
    /// Ordered best to worst; exactly one value `meets` the indicator.
    public var values: [ScaleValue]

    public init(id: String, title: String, values: [ScaleValue]) {
        self.id = id
        self.title = title
        self.values = values
    }
}

public struct ScaleValue: Sendable, Equatable, Codable {
    public var id: String
    public var title: String
    public var meets: Bool
    public var notApplicable: Bool

    public init(id: String, title: String, meets: Bool, notApplicable: Bool = false) {
        self.id = id
        self.title = title
        self.meets = meets
        self.notApplicable = notApplicable
    }

    enum CodingKeys: String, CodingKey {
        case id, title, meets
        case notApplicable = "not_applicable"
    }
}

/// A public source, listed once per release and cited by id.
public struct Reference: Sendable, Equatable, Codable {
    public var id: String
    public var title: String
    public var publisher: String
    public var year: Int
    public var url: String

    public init(id: String, title: String, publisher: String, year: Int, url: String) {
        self.id = id
        self.title = title
        self.publisher = publisher
        self.year = year
        self.url = url
    }
}

public struct Domain: Sendable, Equatable, Codable {
    public var code: String
    public var title: String
    public var summary: String
    public var standards: [Standard]

    public init(code: String, title: String, summary: String, standards: [Standard]) {
        self.code = code
        self.title = title
        self.summary = summary
        self.standards = standards
    }
}

public struct Standard: Sendable, Equatable, Codable {
    public var code: String
    public var title: String
    public var summary: String
    public var indicators: [Indicator]

    public init(code: String, title: String, summary: String, indicators: [Indicator]) {
        self.code = code
        self.title = title
        self.summary = summary
        self.indicators = indicators
    }
}

/// One criterion a practice must show evidence for.
public struct Indicator: Sendable, Equatable, Codable {
    /// Stable across releases; a renumbered indicator names its old code in `supersedes`.
    public var code: String
    public var title: String
    public var requirement: String
    public var guidance: String
    public var evidence: [ExpectedEvidence]
    public var level: Level
    /// nil: applies to every practice.
    public var applicability: Applicability?
    /// Id of a scoring scale of the release.
    public var scoring: String
    public var references: [Citation]
    public var apex: ApexMapping?
    /// Named numbers the requirement depends on (e.g. `dis_max_half_life_days: 120`).
    public var thresholds: [String: Double]
    public var jurisdictionOverrides: [JurisdictionOverride]
    public var supersedes: String?

    public init(code: String, title: String, requirement: String, guidance: String, evidence: [ExpectedEvidence],
                level: Level, applicability: Applicability? = nil, scoring: String, references: [Citation],
                apex: ApexMapping? = nil, thresholds: [String: Double] = [:],
                jurisdictionOverrides: [JurisdictionOverride] = [], supersedes: String? = nil) {
        self.code = code
        self.title = title
        self.requirement = requirement
        self.guidance = guidance
        self.evidence = evidence
        self.level = level
        self.applicability = applicability
        self.scoring = scoring
        self.references = references
        self.apex = apex
        self.thresholds = thresholds
        self.jurisdictionOverrides = jurisdictionOverrides
        self.supersedes = supersedes
    }

    enum CodingKeys: String, CodingKey {
        case code, title, requirement, guidance, evidence, level, applicability, scoring, references, apex, thresholds, supersedes
        case jurisdictionOverrides = "jurisdiction_overrides"
    }

    /// The citations and thresholds that hold in a jurisdiction (an Agreement State's rule replaces the NRC's).
    public func resolved(for jurisdiction: String?) -> (references: [Citation], thresholds: [String: Double], note: String?) {
        guard let jurisdiction, let override = jurisdictionOverrides.first(where: { $0.jurisdiction == jurisdiction }) else {
            return (references, thresholds, nil)
        }
        return (override.references ?? references, thresholds.merging(override.thresholds ?? [:]) { $1 }, override.note)
    }
}

/// 1: must be compliant for accreditation. 2: scored; a deficiency needs correction but does not block alone.
public enum Level: Int, Sendable, Codable, CaseIterable, Comparable {
    case mustMeet = 1
    case scored = 2

    public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
}

public struct ExpectedEvidence: Sendable, Equatable, Codable {
    public var kind: EvidenceKind
    public var description: String

    public init(kind: EvidenceKind, description: String) {
        self.kind = kind
        self.description = description
    }
}

public enum EvidenceKind: String, Sendable, Codable, CaseIterable {
    case policy, procedure, log, credential, licence, agreement, plan, report, template, minutes, other
    case recordSample = "record-sample"
    case calibrationRecord = "calibration-record"
    case trainingRecord = "training-record"
    case patientMaterial = "patient-material"
}

public struct Citation: Sendable, Equatable, Codable, Hashable {
    /// Id of a reference of the release.
    public var ref: String
    /// Where in the source: "10 CFR 35.40(b)", "APEx Standard 7".
    public var locator: String

    public init(ref: String, locator: String) {
        self.ref = ref
        self.locator = locator
    }
}

public struct ApexMapping: Sendable, Equatable, Codable {
    public var pillar: ApexPillar
    /// "S1" … "S9" where a named APEx standard fits.
    public var standard: String?

    public init(pillar: ApexPillar, standard: String? = nil) {
        self.pillar = pillar
        self.standard = standard
    }
}

public enum ApexPillar: String, Sendable, Codable, CaseIterable {
    case processOfCare = "process-of-care"
    case radiationOncologyTeam = "radiation-oncology-team"
    case safety
    case qualityManagement = "quality-management"
    case patientCenteredCare = "patient-centered-care"
}

/// An Agreement State rule that replaces citations or thresholds for practices it regulates.
public struct JurisdictionOverride: Sendable, Equatable, Codable {
    /// ISO 3166-2 code, e.g. `US-NC`.
    public var jurisdiction: String
    public var references: [Citation]?
    public var thresholds: [String: Double]?
    public var note: String

    public init(jurisdiction: String, references: [Citation]? = nil, thresholds: [String: Double]? = nil, note: String) {
        self.jurisdiction = jurisdiction
        self.references = references
        self.thresholds = thresholds
        self.note = note
    }
}
