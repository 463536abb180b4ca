/// Diagrams generated from the transition tables, so pictures and behaviour cannot drift apart.
public enum DiagramFormat: String, Sendable, CaseIterable {
    case mermaid, dot
}

extension StateMachine {
    public func diagram(_ format: DiagramFormat) -> String {
        // One edge per (from, to, action); roles and guards label it.
        var edges: [(from: String, to: String, label: String)] = []
        for transition in transitions {
            var label = transition.action.rawValue
            let roles = transition.roles.sorted().map(\.rawValue).joined(separator: ", ")
            label += " [\(roles)]"
            if !transition.guards.isEmpty { label += " if " + transition.guards.map(\.rawValue).joined(separator: ", ") }
            // A withdrawal possible from every open state would bury the picture; draw it once.
            if transition.from.count > 6 {
                edges.append(("any open state", transition.to.rawValue, label))
                continue
            }
            for from in transition.from { edges.append((from.rawValue, transition.to.rawValue, label)) }
        }
        switch format {
        case .mermaid:
            var lines = ["stateDiagram-v2", "    [*] --> \(Self.id(initial.rawValue))"]
            for edge in edges { lines.append("    \(Self.id(edge.from)) --> \(Self.id(edge.to)): \(edge.label)") }
            for final in State.allCases where finals.contains(final) { lines.append("    \(Self.id(final.rawValue)) --> [*]") }
            return lines.joined(separator: "\n")
        case .dot:
            var lines = ["digraph \"\(name)\" {", "    rankdir=LR;", "    node [shape=box, style=rounded];"]
            lines.append("    \"\(initial.rawValue)\" [penwidth=2];")
            for final in State.allCases where finals.contains(final) { lines.append("    \"\(final.rawValue)\" [peripheries=2];") }
            for edge in edges { lines.append("    \"\(edge.from)\" -> \"\(edge.to)\" [label=\"\(edge.label)\"];") }
            lines.append("}")
            return lines.joined(separator: "\n")
        }
    }

    /// Mermaid state ids cannot contain hyphens or spaces.
    static func id(_ name: String) -> String {
        name.replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: " ", with: "_")
    }
}

extension Workflows {
    /// Every lifecycle by name, in the order the documentation shows them.
    public static let diagrams: [(name: String, render: @Sendable (DiagramFormat) -> String)] = [
        (application.name, { application.diagram($0) }),
        (evidence.name, { evidence.diagram($0) }),
        (assignment.name, { assignment.diagram($0) }),
        (rfi.name, { rfi.diagram($0) }),
        (correctiveAction.name, { correctiveAction.diagram($0) }),
    ]
}
