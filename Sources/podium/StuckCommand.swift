import ArgumentParser
import Foundation
import PodiumCore
import WorkflowLanguage

struct Stuck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lists open items that need a person's attention, most urgent first, with the reasons.",
        discussion: """
            Reasons: overdue (by how much, escalated or not), idle (no activity for twice the
            stage's due time, or --idle), dead_task (a reminder or escalation that gave up, with
            its error), no_actor (nobody holds a role that may act), awaiting_approvals (how many
            of how many, from whom), orphaned_stage (the newest workflow version lacks the stage).
            --fail-if-any exits 1 when the list is not empty, for monitoring.

            Example:
              podium stuck --workflow exec-post --older-than 2d
              podium stuck --json --fail-if-any
            """
    )

    @Option(help: "Only this workflow.")
    var workflow: String?

    @Option(help: "Only this stage.")
    var stage: String?

    @Option(help: "Only items that entered their stage longer ago than this, e.g. 2d.")
    var olderThan: String?

    @Option(help: "Idle after this long without activity (default: twice the stage's due time).")
    var idle: String?

    @Flag(help: "Exit 1 when any item is listed.")
    var failIfAny = false

    @Option(parsing: .unconditional, help: "List at most this many items, most overdue first.")
    var limit = 200

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be 1 or more, not \(limit)") }
    }

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let items = try await Services.open(for: .readOnlyCommand).stuck.find(
            workflow: workflow, stage: stage, olderThan: try olderThan.map(Self.duration),
            idleAfter: try idle.map(Self.duration), limit: limit)
        if output.json {
            try JSONOutput.print(items)
        } else if items.isEmpty {
            Terminal.output("nothing is stuck")
        } else {
            for item in items {
                Terminal.output(
                    "item \(item.itemID)  \(item.workflow)@\(item.version)  \(item.stage)  \(Terminal.field(item.title))"
                )
                for reason in item.reasons {
                    // Late or broken work in red, what merely waits in yellow.
                    let urgent = ["overdue", "dead_task", "no_actor", "orphaned_stage"].contains(reason.kind)
                    Terminal.output(
                        "  \(reason.kind)", in: urgent ? .red : .yellow, ": \(Terminal.field(reason.message))")
                }
            }
        }
        if items.count == limit && !output.json {
            Terminal.note("showing the first \(limit) items; raise --limit to see more")
        }
        if failIfAny && !items.isEmpty { throw ExitCode(1) }
    }

    static func duration(_ text: String) throws -> Duration {
        do {
            return .seconds(try WorkflowDuration(parsing: text).seconds)
        } catch {
            throw PodiumError(.usage, error.message)
        }
    }
}
