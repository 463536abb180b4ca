public import AccreditationCore
import Foundation
import Yams

/// Reads a practice's scope declaration (`agents`, `inpatient_therapy`, …) from a YAML file.
public enum ScopeLoader {
    public static func load(file: String) throws -> PracticeScope {
        let log = IssueLog()
        guard let root = CatalogLoader.parse(file, log: log) else { throw CatalogInvalid(issues: log.issues) }
        let reader = NodeReader(file: file, log: log)
        let scope = read(root, reader: reader)
        guard let scope, log.issues.isEmpty else { throw CatalogInvalid(issues: log.issues) }
        return scope
    }

    static func read(_ root: Node, reader: NodeReader) -> PracticeScope? {
        guard let fields = reader.fields(root, "the scope", required: ["agents"], optional: [
            "inpatient_therapy", "patient_specific_dosimetry", "site_count", "licensed_use_types", "jurisdiction",
        ]) else { return nil }
        let agentNodes = reader.list(fields["agents"], "'agents'")
        let agents = agentNodes.flatMap { nodes -> [RPTAgent]? in
            let agents = nodes.compactMap { reader.choice($0, RPTAgent.self, "agent") }
            return agents.count == nodes.count && reader.unique(agents, nodes, "'agents'") ? agents : nil
        }
        let inpatient = fields["inpatient_therapy"].map { reader.flag($0, "'inpatient_therapy'") } ?? false
        let dosimetry = fields["patient_specific_dosimetry"].map { reader.flag($0, "'patient_specific_dosimetry'") } ?? false
        let sites = fields["site_count"].map { reader.integer($0, "'site_count'", in: Limits.siteCount) } ?? 1
        let uses = fields["licensed_use_types"].map { reader.integer($0, "'licensed_use_types'", in: Limits.licensedUseTypes) } ?? 1
        let jurisdiction = fields["jurisdiction"].map {
            reader.text($0, "'jurisdiction'", matching: Patterns.regulator, example: "US-NRC or US-NC")
        } ?? "US-NRC"
        guard let agents, let inpatient, let dosimetry, let sites, let uses, let jurisdiction else { return nil }
        return PracticeScope(agents: Set(agents), inpatientTherapy: inpatient, patientSpecificDosimetry: dosimetry,
                             siteCount: sites, licensedUseTypes: uses, jurisdiction: jurisdiction)
    }
}
