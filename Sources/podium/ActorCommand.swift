import ArgumentParser
import Foundation
import PodiumCore

struct ActorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actor",
        abstract: "Adds and lists the people who take part in programs.",
        subcommands: [Add.self, Update.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Adds a person; an existing handle is refused (see actor update).",
            discussion: """
                A --role given here is global: the person may act in that role on every item of
                every workflow that declares it (a community manager, an admin).

                Example:
                  podium actor add carol --name "Carol Diaz" --role community_manager --timezone Europe/Paris
                """
        )

        @Argument(help: "The handle, e.g. alice.")
        var handle: String

        @Option(help: "The display name.")
        var name: String

        @Option(help: "A global role (repeatable).")
        var role: [String] = []

        @Option(help: "Time zone: a tz database name (Area/City, e.g. Europe/London) or UTC.")
        var timezone = "UTC"

        @Option(help: "Delivery channel: \(DeliveryChannel.acceptedForms).")
        var channel: String?

        @Option(help: "When reminders may reach them, e.g. 'Mon-Fri 08:30-17:00' or 'always'.")
        var workingHours: String?

        @OptionGroup var output: OutputOptions

        func run() async throws {
            _ = try ActorStore.check(
                handle: handle, name: name, roles: role, timezone: timezone, channel: channel,
                workingHours: workingHours)
            let actor = try await Services.open().actors.add(
                handle: handle, name: name, roles: role, timezone: timezone, channel: channel,
                workingHours: workingHours)
            if output.json { return try JSONOutput.print(actor) }
            Terminal.output(
                "\(actor.handle) (\(Terminal.field(actor.name)))\(actor.roles.isEmpty ? "" : ": \(actor.roles.joined(separator: ", "))")"
            )
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Changes what you give of a person, and nothing else; recorded with who changed it.",
            discussion: """
                Example:
                  podium actor update dana --timezone Europe/London --remove-role coach --as carol
                """
        )

        @Argument(help: "The handle of the person to change.")
        var handle: String

        @Option(help: "A new display name.")
        var name: String?

        @Option(name: .customLong("add-role"), help: "A global role to add (repeatable).")
        var addRoles: [String] = []

        @Option(name: .customLong("remove-role"), help: "A global role to remove (repeatable).")
        var removeRoles: [String] = []

        @Option(help: "Time zone: a tz database name (Area/City, e.g. Europe/London) or UTC.")
        var timezone: String?

        @Option(help: "Delivery channel: \(DeliveryChannel.acceptedForms).")
        var channel: String?

        @Flag(name: .customLong("no-channel"), help: "Use the worker's default channel again.")
        var noChannel = false

        @Option(help: "When reminders may reach them, e.g. 'Mon-Fri 08:30-17:00' or 'always'.")
        var workingHours: String?

        @OptionGroup var acting: ActingAs

        @OptionGroup var output: OutputOptions

        func run() async throws {
            // Each value is checked before any database is opened.
            _ = try ActorStore.check(
                handle: handle, name: name ?? "unchanged", roles: addRoles, timezone: timezone ?? "UTC",
                channel: channel, workingHours: workingHours)
            let changes = ActorChanges(
                name: name, addRoles: addRoles, removeRoles: removeRoles, timezone: timezone, channel: channel,
                clearChannel: noChannel, workingHours: workingHours)
            let record = try await Services.open().actors.update(
                handle, changes: changes, by: acting.handle)
            if output.json { return try JSONOutput.print(record) }
            Terminal.output(
                "\(record.handle) (\(Terminal.field(record.name))): roles \(record.roles.isEmpty ? "none" : record.roles.joined(separator: ", ")); "
                    + "\(record.timezone); \(record.workingHours); channel \(record.channel ?? "default")")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists everyone.", discussion: "Example:\n  podium actor list --json")

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let actors = try await Services.open().actors.list()
            if output.json { return try JSONOutput.print(actors) }
            Terminal.output(
                Table.render(
                    ["HANDLE", "NAME", "GLOBAL ROLES", "TIME ZONE", "WORKING HOURS"],
                    actors.map { [$0.handle, $0.name, $0.roles.joined(separator: ","), $0.timezone, $0.workingHours] }))
        }
    }
}
