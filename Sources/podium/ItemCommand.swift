import ArgumentParser
import Foundation
import PodiumCore
import WorkflowEngine

struct ItemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "item",
        abstract: "Creates items, fires transitions, and shows where items stand.",
        subcommands: [
            Create.self, Fire.self, Show.self, History.self, List.self, Comment.self, Assign.self, Unassign.self,
            Move.self, Cancel.self, Metrics.self,
        ]
    )

    /// The engine for one command, on the real clock unless `PODIUM_NOW` fixes "now".
    static func engine() async throws -> ItemEngine {
        try await Services.open().engine
    }

    /// "Now" for what a command prints (time in stage, due in), on the same clock as the engine.
    static func now() throws -> Date {
        try PodiumServices.clock(ProcessInfo.processInfo.environment).now()
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Starts an item on the newest version of a workflow, in its initial stage.",
            discussion: """
                Prints the new id (with --json, the whole item). The person given with --as is its
                creator, recorded in history.

                Example:
                  podium item create exec-post --title "What support taught me" --as carol \\
                    --participant executive=alice --participant coach=bob
                """
        )

        @Argument(help: "The workflow name.")
        var workflow: String

        @Option(help: "The item's title.")
        var title: String

        @OptionGroup var acting: ActingAs

        @Option(help: "ROLE=HANDLE (repeatable).")
        var participant: [String] = []

        @Option(name: .customLong("set"), help: "KEY=VALUE item data (repeatable).")
        var fields: [String] = []

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let participants = try participant.map { text in
                let (role, handle) = try InputLimits.pair(text, what: "--participant")
                return Participant(role: role, actor: handle)
            }
            let data = try InputLimits.fields(fields, what: "--set")
            let item = try await ItemCommand.engine().create(
                workflow: workflow, title: title, author: acting.handle, participants: participants, data: data)
            if output.json { return try JSONOutput.print(item) }
            Terminal.output("\(item.id)")
        }
    }

    struct Fire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fires a transition on an item, in one transaction.",
            discussion: """
                Refusals exit 4 and say what would work; a stale --expect-revision exits 5. An
                --idempotency-key already used on this item replays the first result.

                Example:
                  podium item fire 42 submit --as alice --set body="Three things support taught me" \\
                    --set publish_at=2026-03-10T09:00:00Z --expect-revision 2 --idempotency-key submit-42-a
                """
        )

        @Argument(help: "The item id.")
        var id: Int

        @Argument(help: "The transition.")
        var transition: String

        @OptionGroup var acting: ActingAs

        @Option(help: "A comment, recorded in history.")
        var comment: String?

        @Option(name: .customLong("set"), help: "KEY=VALUE item data (repeatable).")
        var fields: [String] = []

        @Option(parsing: .unconditional, help: "Refuse (exit 5) unless the item is at this revision.")
        var expectRevision: Int?

        func validate() throws {
            if let expectRevision, expectRevision < 1 {
                throw ValidationError(
                    "--expect-revision must be 1 or more (an item starts at revision 1), not \(expectRevision)")
            }
        }

        @Option(help: "Fire at most once per key on this item; a repeat replays the first result.")
        var idempotencyKey: String?

        @OptionGroup var output: OutputOptions

        func run() async throws {
            // Input is checked before any database is opened: a bad --set is exit 2 even when the
            // database is away.
            let data = try InputLimits.fields(fields, what: "--set")
            if let comment { _ = try InputLimits.text(comment, what: "comment", limit: InputLimits.commentLength) }
            let engine = try await ItemCommand.engine()
            let result = try await engine.fire(
                item: id, transition: transition, actor: acting.handle, comment: comment, data: data,
                expectRevision: expectRevision, idempotencyKey: idempotencyKey)
            if output.json {
                let item = try await engine.show(id)
                return try JSONOutput.print(FireOutput(result: result, item: item))
            }
            switch result.outcome {
            case .moved:
                let entry = result.entry
                let replay = result.replayed ? " (replayed: this key was used before)" : ""
                Terminal.output(
                    "item \(id): \(entry?.fromStage ?? "?") -> \(entry?.toStage ?? result.stage) by \(entry?.actor ?? acting.handle)\(entry?.onBehalfOf.map { " for \($0)" } ?? "")\(replay)"
                )
            case .approvalRecorded:
                let approval = result.approval
                let replay = result.replayed ? " (replayed: this key was used before)" : ""
                Terminal.output(
                    "item \(id): \(acting.handle) approved \(transition) (\(approval?.approvers.count ?? 0) of \(approval?.needed ?? 0)); "
                        + "it fires when enough people approve\(replay)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Shows an item: stage, who acts next, due time, tasks, approvals, and the way on.",
            discussion: "Example:\n  podium item show 42 --json"
        )

        @Argument(help: "The item id.")
        var id: Int

        @OptionGroup var reader: ReaderOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let services = try await Services.open(for: .readOnlyCommand)
            let item = try await services.engine.show(id)
            if output.json { return try JSONOutput.print(item) }
            Terminal.output(
                ItemText.render(item, now: try ItemCommand.now(), zone: try await reader.zone(services: services)))
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Shows an item's timeline, with the time spent in each stage.",
            discussion: "Example:\n  podium item history 42"
        )

        @Argument(help: "The item id.")
        var id: Int

        @OptionGroup var reader: ReaderOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let services = try await Services.open(for: .readOnlyCommand)
            let entries = try await services.engine.history(id)
            if output.json { return try JSONOutput.print(entries) }
            let zone = try await reader.zone(services: services)
            Terminal.output(
                Table.render(
                    ["WHEN", "WHAT", "STAGE", "BY", "STAYED", "COMMENT"],
                    entries.map { entry in
                        [
                            zone.time(entry.at), ItemText.what(entry), ItemText.stages(entry),
                            "\(entry.actor)\(entry.onBehalfOf.map { " for \($0)" } ?? "") (\(entry.role))",
                            // How long the item stayed where this entry put it; a comment, an
                            // approval or an assignment put it nowhere new.
                            (HistoryKind(rawValue: entry.kind)?.startsVisit ?? true)
                                ? Formatting.duration(seconds: entry.secondsInStage) : "",
                            entry.comment ?? "",
                        ]
                    }))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists open items, newest first.",
            discussion: "Example:\n  podium item list --workflow exec-post --assignee alice"
        )

        @Option(help: "Only this workflow.")
        var workflow: String?

        @Option(help: "Only items in this stage.")
        var stage: String?

        @Option(help: "Only items this person must act on next.")
        var assignee: String?

        @Flag(help: "Include closed items.")
        var all = false

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let items = try await Services.open(for: .readOnlyCommand).engine.list(
                workflow: workflow, stage: stage, assignee: assignee, includeClosed: all)
            if output.json { return try JSONOutput.print(items) }
            let now = try ItemCommand.now()
            Terminal.output(
                Table.render(
                    ["ID", "WORKFLOW", "STAGE", "NEXT", "DUE", "TITLE"],
                    items.map { item in
                        [
                            "\(item.id)", "\(item.workflow)@\(item.version)", item.stage,
                            item.assignees.joined(separator: ","),
                            item.cancelled
                                ? "cancelled"
                                : item.closedAt != nil
                                    ? "closed" : item.dueAt.map { Formatting.relative($0, now: now) } ?? "-",
                            item.title,
                        ]
                    }))
        }
    }

    struct Comment: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Comments on an item.",
            discussion: "Example:\n  podium item comment 42 --as bob \"Lead with the customer's words.\""
        )

        @Argument(help: "The item id.")
        var id: Int

        @OptionGroup var acting: ActingAs

        @Argument(help: "The comment.")
        var text: String

        func run() async throws {
            _ = try InputLimits.text(text, what: "comment", limit: InputLimits.commentLength)
            try await ItemCommand.engine().comment(item: id, actor: acting.handle, text: text)
            Terminal.output("item \(id): comment added")
        }
    }

    /// What `item assign` and `item unassign` take: the item, `ROLE=HANDLE`, and who acts.
    struct ParticipantChange: ParsableArguments {
        @Argument(help: "The item id.")
        var id: Int

        @Argument(help: "ROLE=HANDLE.")
        var assignment: String

        @OptionGroup var acting: ActingAs

        @OptionGroup var output: OutputOptions

        /// Runs `change` with the parsed role and handle, and prints its history entry.
        func run(
            _ change: (ItemEngine, Int, String, String, String) async throws -> HistoryEntry, saying: String
        ) async throws {
            let (role, handle) = try InputLimits.pair(assignment, what: "assignment")
            let entry = try await change(try await ItemCommand.engine(), id, role, handle, acting.handle)
            if output.json { return try JSONOutput.print(entry) }
            Terminal.output("item \(id): \(handle) \(saying) \(role)")
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Gives someone a role on an item; recorded in history.",
            discussion: "Example:\n  podium item assign 42 coach=dana --as carol"
        )

        @OptionGroup var change: ParticipantChange

        func run() async throws {
            try await change.run({ try await $0.assign(item: $1, role: $2, to: $3, actor: $4) }, saying: "is now a")
        }
    }

    struct Unassign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Takes a role on an item away from someone; recorded in history.",
            discussion: "Example:\n  podium item unassign 42 coach=dana --as carol"
        )

        @OptionGroup var change: ParticipantChange

        func run() async throws {
            try await change.run(
                { try await $0.unassign(item: $1, role: $2, from: $3, actor: $4) }, saying: "is no longer a")
        }
    }
}

/// The text form of `podium item show` and `item history`.
enum ItemText {
    /// What a history entry records: the transition fired, `approve (approval)` for an approval
    /// that did not move the item yet, or the kind (`assign`, `cancel`, ...).
    static func what(_ entry: HistoryEntry) -> String {
        switch (HistoryKind(rawValue: entry.kind), entry.transition) {
        case (.approval, let transition?): "\(transition) (approval)"
        case (.transition, let transition?): transition
        default: entry.kind
        }
    }

    /// Where the item stood: `draft -> private_review` for a move, `draft (cancelled)` for a
    /// cancellation, the stage alone for what happened within it.
    static func stages(_ entry: HistoryEntry) -> String {
        switch HistoryKind(rawValue: entry.kind) {
        case .cancel: "\(entry.toStage) (cancelled)"
        case .create, .transition, .override, .migrate:
            entry.fromStage.map { "\($0) -> \(entry.toStage)" } ?? entry.toStage
        default: entry.toStage
        }
    }

    static func render(_ item: ItemView, now: Date, zone: ReaderZone) -> String {
        var lines = [
            "item \(item.id): \(Terminal.field(item.title))  (\(item.workflow)@\(item.version), revision \(item.revision))"
        ]
        let stayed = Formatting.duration(seconds: Int(now.timeIntervalSince(item.stageEnteredAt)))
        let state =
            item.cancellation.map {
                ", cancelled by \($0.actor) on \(zone.time($0.at)): \(Terminal.field($0.reason))"
            } ?? (item.closedAt != nil ? ", closed" : "")
        lines.append("  stage      \(item.stage): \(Terminal.field(item.stageTitle)) (for \(stayed))\(state)")
        if let role = item.assignee, item.closedAt == nil {
            let people = item.nextActors
            lines.append("  next       \(role): \(people.isEmpty ? "nobody yet" : people.joined(separator: ", "))")
        }
        if let due = item.dueAt, item.closedAt == nil {
            lines.append("  due        \(zone.time(due)) (\(Formatting.relative(due, now: now)))")
        }
        lines.append(
            "  people     " + item.participants.map { "\($0.role): \($0.actor)" }.joined(separator: "; "))
        if !item.data.isEmpty {
            lines.append(
                "  data       "
                    + item.data.sorted { $0.key < $1.key }.map {
                        "\($0.key)=\(Terminal.field(Terminal.shortened($0.value, to: 60)))"
                    }.joined(
                        separator: "; "))
        }
        for approval in item.approvals {
            lines.append(
                "  approvals  \(approval.transition): \(approval.approvers.count) of \(approval.needed)"
                    + (approval.approvers.isEmpty ? "" : " (\(approval.approvers.joined(separator: ", ")))"))
        }
        for task in item.openTasks {
            lines.append("  scheduled  \(zone.time(task.runAt))  \(task.kind): \(task.label)")
        }
        for transition in item.possibleTransitions {
            let who =
                transition.timer.map { "timer after \($0)" }
                ?? "\(transition.roles.joined(separator: "/"))\(transition.participants.isEmpty ? "" : ": \(transition.participants.joined(separator: ", "))")"
            let needs = transition.requires.isEmpty ? "" : "; needs \(transition.requires.joined(separator: ", "))"
            lines.append("  can fire   \(transition.name) -> \(transition.to) (\(who)\(needs))")
        }
        if !item.guidance.isEmpty {
            lines.append("  guidance   \(item.guidance.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        for comment in item.comments.reversed() {
            lines.append(
                "  comment    \(zone.time(comment.at)) \(comment.actor): \(Terminal.field(comment.body))")
        }
        return lines.joined(separator: "\n")
    }
}

/// `podium item fire --json`: what the fire did and the item as it now stands.
struct FireOutput: Encodable {
    let result: FireResult
    let item: ItemView

    enum CodingKeys: String, CodingKey { case outcome, replayed, item, entry, approval }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(result.outcome, forKey: .outcome)
        try container.encode(result.replayed, forKey: .replayed)
        try container.encode(item, forKey: .item)
        try container.encodeIfPresent(result.entry, forKey: .entry)
        try container.encodeIfPresent(result.approval, forKey: .approval)
    }
}
