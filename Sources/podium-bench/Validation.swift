import Foundation
import WorkflowLanguage
import Yams

/// A workflow of `count` stages in a chain, each with a deadline, reminders, an escalation,
/// a forward transition, a send-back and a withdraw: the validator's worst realistic shape.
func generatedWorkflow(stages count: Int) -> String {
    var text = """
        name: generated
        title: Generated
        roles: {author: Writes., coach: Reviews., manager: Runs it.}
        initial: s0
        stages:

        """
    for index in 0..<count {
        text += """
              s\(index):
                title: Stage \(index)
                description: Guidance for stage \(index).
                assignee: author
                due: 1d12h
                reminders: [{before: 4h}, {at: due}, {every: 1d, limit: 3}]
                escalate: {after: 1d, to: manager}

            """
    }
    text += "  end: {title: End, terminal: true}\n  withdrawn: {title: Withdrawn, terminal: true}\ntransitions:\n"
    for index in 0..<count {
        let next = index + 1 < count ? "s\(index + 1)" : "end"
        text += "  forward_\(index): {from: s\(index), to: \(next), roles: [author], requires: [body]}\n"
        if index > 0 {
            text += "  back_\(index): {from: s\(index), to: s\(index - 1), roles: [coach], requires: [comment]}\n"
        }
    }
    let all = (0..<count).map { "s\($0)" }.joined(separator: ", ")
    text += "  withdraw: {from: [\(all)], to: withdrawn, roles: [manager], requires: [comment]}\n"
    return text
}

/// Validating a generated `stages`-stage workflow, next to Yams parsing the same text alone.
func benchmarkValidation(stages: Int, runs: Int) -> [Record] {
    let text = generatedWorkflow(stages: stages)
    let check = WorkflowParser.check(text)
    precondition(!check.hasErrors, "the generated workflow must be valid: \(check.diagnostics.prefix(3))")
    let baseline = Sample.measure(runs: runs) { _ = try? Yams.compose(yaml: text) }
    let full = Sample.measure(runs: runs) { _ = WorkflowParser.check(text) }
    return [
        Record(name: "validate_\(stages)_stages", unit: "ms", sample: full.scaled(by: 1000)),
        Record(name: "yams_compose_\(stages)_stages", unit: "ms", sample: baseline.scaled(by: 1000)),
    ]
}
