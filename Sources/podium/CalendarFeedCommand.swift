import ArgumentParser
import Foundation
import PodiumCore
import WorkflowEngine

/// `podium calendar-feed create|revoke --as H`: a person's calendar feed address.
struct CalendarFeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar-feed",
        abstract: "Makes or ends a person's calendar feed (/calendar/TOKEN.ics) of their due times.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prints a new calendar feed address for you; it is shown once.",
            discussion: """
                A calendar app subscribed to it shows the due times of what waits on you and the
                planned publish dates of your items. The address is the secret: keep it to yourself,
                and end it with podium calendar-feed revoke. The address starts with
                PODIUM_PUBLIC_URL (by default http://127.0.0.1:8080).

                With --workflow, a community manager's (or an admin's) feed of a whole program:
                the due times and publish dates of every open item of it they may see.

                Example:
                  podium calendar-feed create --as dana
                  podium calendar-feed create --workflow exec-post --as carol
                """)

        @Option(help: "A program's feed instead (community managers and admins): every open item of this workflow.")
        var workflow: String?

        @OptionGroup var actor: ActingAs

        func run() async throws {
            let services = try await Services.open()
            let (id, token) = try await CalendarFeeds(pool: services.pool, time: services.clock).create(
                for: actor.handle, workflow: workflow)
            Terminal.output("\(Services.publicURL)/calendar/\(token).ics")
            Terminal.note(
                "calendar feed #\(id) of \(workflow.map { "program \($0)" } ?? "\(actor.handle)'s tasks"); "
                    + "the address is shown only now")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists your live calendar feeds (their ids; an address is shown only when made).",
            discussion: "Example:\n  podium calendar-feed list --as carol --json")

        @OptionGroup var actor: ActingAs

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let services = try await Services.open()
            let feeds = try await CalendarFeeds(pool: services.pool, time: services.clock).list(for: actor.handle)
            if output.json { return try JSONOutput.print(feeds) }
            if feeds.isEmpty { return Terminal.note("\(actor.handle) has no live calendar feed") }
            Terminal.output(
                Table.render(
                    ["ID", "FOLLOWS", "MADE"],
                    feeds.map {
                        ["\($0.id)", $0.workflow.map { "program \($0)" } ?? "own tasks", DataDate.format($0.createdAt)]
                    }))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ends your calendar feeds (or feed --id N).")

        @Option(help: "Only this feed.")
        var id: Int?

        @OptionGroup var actor: ActingAs

        func run() async throws {
            let services = try await Services.open()
            let ended = try await CalendarFeeds(pool: services.pool, time: services.clock).revoke(
                for: actor.handle, id: id)
            Terminal.output("ended \(ended) calendar feed\(ended == 1 ? "" : "s") of \(actor.handle)")
        }
    }
}
