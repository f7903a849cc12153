// Podium's in-process benchmarks. Each figure is reported next to a baseline measured in the
// same run, as a ratio; run through benchmarks/run, which builds in release mode.
import Foundation
import WorkflowLanguage
import Yams

/// Median, minimum and maximum of repeated runs.
struct Sample {
    let seconds: [Double]
    var median: Double { seconds.sorted()[seconds.count / 2] }
    var min: Double { seconds.min() ?? 0 }
    var max: Double { seconds.max() ?? 0 }

    static func measure(runs: Int, _ body: () -> Void) -> Sample {
        body()  // warm up
        let clock = ContinuousClock()
        return Sample(
            seconds: (0..<runs).map { _ in
                let start = clock.now
                body()
                let elapsed = clock.now - start
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            })
    }

    func milliseconds(_ value: Double) -> String { String(format: "%.2f ms", value * 1000) }
    var summary: String { "median \(milliseconds(median)) (min \(milliseconds(min)), max \(milliseconds(max)))" }
}

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

func benchmarkValidation(stages: Int, runs: Int) -> [String: Any] {
    let text = generatedWorkflow(stages: stages)
    let check = WorkflowParser.check(text)
    precondition(!check.hasErrors, "the generated workflow must be valid: \(check.diagnostics.prefix(3))")
    let baseline = Sample.measure(runs: runs) { _ = try? Yams.compose(yaml: text) }
    let full = Sample.measure(runs: runs) { _ = WorkflowParser.check(text) }
    let ratio = full.median / baseline.median
    print("validate \(stages)-stage workflow (\(text.utf8.count / 1024) KiB): \(full.summary)")
    print("  baseline, YAML parsing alone (Yams.compose): \(baseline.summary)")
    print(
        String(format: "  ratio to baseline: %.2fx; target < 100 ms: %@", ratio, full.median < 0.1 ? "met" : "MISSED"))
    return [
        "name": "validate_\(stages)_stages", "median_ms": full.median * 1000, "min_ms": full.min * 1000,
        "max_ms": full.max * 1000, "baseline": "yams_compose", "baseline_median_ms": baseline.median * 1000,
        "ratio": ratio, "runs": runs, "target_ms": 100, "met": full.median < 0.1,
    ]
}

let arguments = CommandLine.arguments.dropFirst()
let quick = arguments.contains("--quick") || arguments.contains("--smoke")
let results = [benchmarkValidation(stages: 500, runs: quick ? 3 : 11)]
if let index = arguments.firstIndex(of: "--json"), arguments.index(after: index) < arguments.endIndex {
    let path = arguments[arguments.index(after: index)]
    let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: path))
}
