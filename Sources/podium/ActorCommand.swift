import ArgumentParser
import Foundation
import PodiumCore

struct ActorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actor",
        abstract: "Adds and lists the people who take part in programs.",
        subcommands: [Add.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Adds a person, or updates the one with this handle.",
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

        @Option(help: "Delivery channel: log, file:PATH, command:PROGRAM or webhook:URL.")
        var channel: String?

        @Option(help: "When reminders may reach them, e.g. 'Mon-Fri 08:30-17:00' or 'always'.")
        var workingHours: String?

        @OptionGroup var output: OutputOptions

        func run() async throws {
            _ = try ActorStore.check(
                handle: handle, name: name, roles: role, timezone: timezone, workingHours: workingHours)
            let actor = try await ActorStore(pool: try await Database.pool()).add(
                handle: handle, name: name, roles: role, timezone: timezone, channel: channel,
                workingHours: workingHours)
            if output.json { return try JSONOutput.print(actor) }
            Terminal.output(
                "\(actor.handle) (\(actor.name))\(actor.roles.isEmpty ? "" : ": \(actor.roles.joined(separator: ", "))")"
            )
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists everyone.", discussion: "Example:\n  podium actor list --json")

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let actors = try await ActorStore(pool: try await Database.pool()).list()
            if output.json { return try JSONOutput.print(actors) }
            Terminal.output(
                Table.render(
                    ["HANDLE", "NAME", "GLOBAL ROLES", "TIME ZONE", "WORKING HOURS"],
                    actors.map { [$0.handle, $0.name, $0.roles.joined(separator: ","), $0.timezone, $0.workingHours] }))
        }
    }
}
