import ArgumentParser
import Foundation
import PodiumCore

extension ItemCommand {
    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Moves an item to any stage, bypassing roles and requirements (admins only).",
            discussion: """
                An override, never silent: recorded in history with the operator and the reason.
                Moving a closed item to a working stage reopens it.

                Example:
                  podium item move 42 --to draft --as root --reason "coach left; restart the draft"
                """
        )

        @Argument(help: "The item id.")
        var id: Int

        @Option(help: "The stage to move to.")
        var to: String

        @OptionGroup var acting: ActingAs

        @Option(help: "Why; recorded in history.")
        var reason: String

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let entry = try await ItemCommand.engine().move(item: id, to: to, actor: acting.handle, reason: reason)
            if output.json { return try JSONOutput.print(entry) }
            Terminal.output("item \(id): \(entry.fromStage ?? "?") -> \(entry.toStage) by \(acting.handle) (override)")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Closes an item where it stands and cancels its tasks (admins only).",
            discussion: "Example:\n  podium item cancel 42 --as root --reason \"duplicate of 41\""
        )

        @Argument(help: "The item id.")
        var id: Int

        @OptionGroup var acting: ActingAs

        @Option(help: "Why; recorded in history.")
        var reason: String

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let entry = try await ItemCommand.engine().cancel(item: id, actor: acting.handle, reason: reason)
            if output.json { return try JSONOutput.print(entry) }
            Terminal.output("item \(id): cancelled in \(entry.toStage) by \(acting.handle)")
        }
    }
}

struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "Lists, retries and cancels reminders, escalations and timers.",
        subcommands: [List.self, Retry.self, Cancel.self]
    )

    /// The task admin, and the zone to show times in: `--tz`/`PODIUM_TZ`, else `person`'s;
    /// `readOnly` for a listing, which may read from the replica.
    static func admin(reader person: String?, tz: String? = nil, readOnly: Bool = false) async throws
        -> (TaskAdmin, ReaderZone)
    {
        let services = try await Services.open(for: readOnly ? .readOnlyCommand : .command)
        let zone = try await ReaderZone.resolve(
            tz: tz, environment: ProcessInfo.processInfo.environment, person: person, services: services)
        return (services.tasks, zone)
    }

    static func print(_ tasks: [TaskRecord], json: Bool, zone: ReaderZone) throws {
        if json { return try JSONOutput.print(tasks) }
        Terminal.output(
            Table.render(
                ["ID", "ITEM", "KIND", "LABEL", "STATUS", "RUN AT", "TRIES", "LAST ERROR"],
                tasks.map {
                    [
                        "\($0.id)", $0.itemID.map(String.init) ?? "for \($0.recipient ?? "?")", $0.kind, $0.label,
                        $0.status, zone.time($0.runAt),
                        "\($0.attempts)/\($0.maxAttempts)", Terminal.shortened($0.lastError ?? "", to: 60),
                    ]
                }))
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists tasks, newest first.", discussion: "Example:\n  podium tasks list --status dead")

        @Option(help: "pending, running, done, dead or cancelled.")
        var status: String?

        @OptionGroup var reader: ReaderOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (admin, zone) = try await TasksCommand.admin(reader: reader.person, tz: reader.tz, readOnly: true)
            try TasksCommand.print(try await admin.list(status: status), json: output.json, zone: zone)
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Puts dead tasks back in the queue, due now, with fresh attempts.",
            discussion: "Example:\n  podium tasks retry --all-dead --dry-run --as root --reason \"webhook is back\""
        )

        @Argument(help: "Task ids.")
        var ids: [Int] = []

        @Flag(help: "Every dead task of an item's current stage visit (older ones are left dead: cancel them).")
        var allDead = false

        @OptionGroup var acting: ActingAs

        @Option(help: "Why; recorded in the items' history.")
        var reason: String

        @Flag(help: "Print what would change; change nothing.")
        var dryRun = false

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard allDead != !ids.isEmpty else { throw ValidationError("give task ids or --all-dead, not both") }
        }

        func run() async throws {
            let (admin, zone) = try await TasksCommand.admin(reader: acting.handle)
            let tasks = try await admin.retry(
                ids: allDead ? nil : ids, actor: acting.handle, reason: reason, dryRun: dryRun)
            try TasksCommand.print(tasks, json: output.json, zone: zone)
            if !output.json {
                Terminal.note("\(dryRun ? "would retry" : "retried") \(tasks.count) task\(tasks.count == 1 ? "" : "s")")
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancels pending or dead tasks.",
            discussion: "Example:\n  podium tasks cancel 17 18 --as root --reason \"she is on leave\" --dry-run")

        @Argument(help: "Task ids.")
        var ids: [Int]

        @OptionGroup var acting: ActingAs

        @Option(help: "Why; recorded in the items' history.")
        var reason: String

        @Flag(help: "Print what would change; change nothing.")
        var dryRun = false

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (admin, zone) = try await TasksCommand.admin(reader: acting.handle)
            let tasks = try await admin.cancel(ids: ids, actor: acting.handle, reason: reason, dryRun: dryRun)
            try TasksCommand.print(tasks, json: output.json, zone: zone)
            if !output.json {
                Terminal.note(
                    "\(dryRun ? "would cancel" : "cancelled") \(tasks.count) task\(tasks.count == 1 ? "" : "s")")
            }
        }
    }
}
