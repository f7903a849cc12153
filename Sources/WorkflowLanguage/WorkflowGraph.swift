internal import Foundation

/// Draws a workflow as a graph: stages as nodes, transitions as labelled edges, terminal stages
/// marked, timer transitions dashed.
public enum WorkflowGraph {
    /// The output languages.
    public enum Format: String, Sendable, CaseIterable {
        case mermaid, dot
    }

    /// Renders `definition`; `notes` adds a line to a stage's label (e.g. live item counts).
    public static func render(
        _ definition: WorkflowDefinition, format: Format, notes: [String: String] = [:]
    ) -> String {
        switch format {
        case .mermaid: mermaid(definition, notes: notes)
        case .dot: dot(definition, notes: notes)
        }
    }

    private static func label(_ stage: StageDefinition, notes: [String: String]) -> [String] {
        [stage.title] + (notes[stage.name].map { [$0] } ?? [])
    }

    private static func edgeLabel(_ transition: TransitionDefinition) -> String {
        var text = transition.name
        if let timer = transition.timer { text += " (after \(timer))" }
        if case .count(let count) = transition.approvals { text += " [\(count) approval\(count == 1 ? "" : "s")]" }
        if case .allParticipants = transition.approvals { text += " [all approve]" }
        return text
    }

    private static func mermaid(_ definition: WorkflowDefinition, notes: [String: String]) -> String {
        func text(_ value: String) -> String { value.replacingOccurrences(of: "\"", with: "#quot;") }
        var lines = ["flowchart LR", "    start_(( )) --> \(definition.initial)"]
        for stage in definition.stagesInFlowOrder {
            let body = label(stage, notes: notes).map(text).joined(separator: "<br/>")
            lines.append(stage.terminal ? "    \(stage.name)([\"\(body)\"])" : "    \(stage.name)[\"\(body)\"]")
        }
        for transition in definition.transitionsInFlowOrder {
            let arrow = transition.timer == nil ? "-->" : "-.->"
            for from in transition.from {
                lines.append("    \(from) \(arrow)|\"\(text(edgeLabel(transition)))\"| \(transition.to)")
            }
        }
        let terminals = definition.stages.filter(\.terminal).map(\.name)
        if !terminals.isEmpty {
            lines.append("    classDef terminal stroke-width:3px")
            lines.append("    class \(terminals.joined(separator: ",")) terminal")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func dot(_ definition: WorkflowDefinition, notes: [String: String]) -> String {
        func quoted(_ value: String) -> String {
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                of: "\"", with: "\\\"")
            return "\"" + escaped.replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        var lines = [
            "digraph \(quoted(definition.name)) {", "    rankdir=LR;", "    node [shape=box, style=rounded];",
            "    \"__start\" [shape=point];", "    \"__start\" -> \(quoted(definition.initial));",
        ]
        for stage in definition.stagesInFlowOrder {
            let body = label(stage, notes: notes).joined(separator: "\n")
            let shape = stage.terminal ? ", shape=doubleoctagon" : ""
            lines.append("    \(quoted(stage.name)) [label=\(quoted(body))\(shape)];")
        }
        for transition in definition.transitionsInFlowOrder {
            let style = transition.timer == nil ? "" : ", style=dashed"
            for from in transition.from {
                lines.append(
                    "    \(quoted(from)) -> \(quoted(transition.to)) [label=\(quoted(edgeLabel(transition)))\(style)];")
            }
        }
        return (lines + ["}"]).joined(separator: "\n") + "\n"
    }
}
