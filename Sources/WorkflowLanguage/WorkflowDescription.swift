/// A human-readable description of a workflow, for `podium workflow show`.
public enum WorkflowDescription {
    public static func text(_ definition: WorkflowDefinition, version: Int? = nil) -> String {
        var lines = ["\(definition.name)\(version.map { "@\($0)" } ?? ""): \(definition.title)"]
        if !definition.description.isEmpty { lines.append(definition.description.trimmingWhitespace()) }
        lines.append("")
        lines.append("Roles")
        for role in definition.roles {
            let limit = role.maxPerItem.map { " (at most \($0) per item)" } ?? ""
            lines.append("  \(role.name): \(role.description.trimmingWhitespace())\(limit)")
        }
        lines.append("")
        lines.append("Stages")
        for stage in definition.stagesInFlowOrder {
            let initial = stage.name == definition.initial ? " (initial)" : ""
            lines.append("  \(stage.name)\(initial): \(stage.title)")
            lines.append("    \(rules(stage))")
            if !stage.description.isEmpty { lines.append("    \(stage.description.trimmingWhitespace())") }
        }
        lines.append("")
        lines.append("Transitions")
        for transition in definition.transitionsInFlowOrder {
            lines.append(
                "  \(transition.name): \(transition.from.joined(separator: ", ")) -> \(transition.to); \(firing(transition))"
            )
        }
        return lines.joined(separator: "\n")
    }

    /// `assignee coach; due 1d; reminders 2h before, at due; escalates to X 4h overdue`.
    public static func rules(_ stage: StageDefinition) -> String {
        if stage.terminal { return "terminal" }
        var parts: [String] = []
        if let assignee = stage.assignee { parts.append("assignee \(assignee)") }
        switch stage.due {
        case .after(let span): parts.append("due \(span) after entering")
        case .before(let field, let offset): parts.append("due \(offset) before \(field)")
        case .at(let field): parts.append("due at \(field)")
        case nil: parts.append(stage.waitsForever ? "no deadline (wait: forever)" : "no deadline")
        }
        let reminders = stage.reminders.map { reminder in
            switch reminder {
            case .before(let duration): "\(duration) before"
            case .atDue: "at due"
            case .every(let duration, let limit): "every \(duration) overdue (at most \(limit))"
            }
        }
        if !reminders.isEmpty { parts.append("reminders \(reminders.joined(separator: ", "))") }
        if let escalation = stage.escalation {
            parts.append("escalates to \(escalation.to) \(escalation.after) overdue")
        }
        return parts.joined(separator: "; ")
    }

    /// `by coach; requires comment; 1 approval` or `timer after 7d`.
    public static func firing(_ transition: TransitionDefinition) -> String {
        var parts: [String] = []
        if !transition.roles.isEmpty { parts.append("by \(transition.roles.joined(separator: " or "))") }
        if let timer = transition.timer { parts.append("timer after \(timer)") }
        let requires = transition.requiredFields + (transition.requiresComment ? ["comment"] : [])
        if !requires.isEmpty { parts.append("requires \(requires.joined(separator: ", "))") }
        switch transition.approvals {
        case .count(let count): parts.append("\(count) approval\(count == 1 ? "" : "s")")
        case .allParticipants: parts.append("approval by all participants in those roles")
        case nil: break
        }
        return parts.joined(separator: "; ")
    }
}
