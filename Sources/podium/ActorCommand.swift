import ArgumentParser
import Foundation
import PodiumCore
import WorkflowEngine

struct ActorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actor",
        abstract: "Adds, changes and lists the people who take part in programs, and records who is away.",
        subcommands: [Add.self, Update.self, List.self, Away.self, Back.self]
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

        @Option(help: "immediate (each reminder when it falls due) or digest (one message a day).")
        var delivery: String?

        @Option(name: .customLong("digest-at"), help: "When their digest goes out, HH:MM on their clock.")
        var digestAt: String?

        @Option(name: .customLong("pause-until"), help: "Nothing reaches them until then: a day or an RFC 3339 time.")
        var pauseUntil: String?

        @Flag(help: "End a pause.")
        var resume = false

        @OptionGroup var acting: ActingAs

        @OptionGroup var output: OutputOptions

        func run() async throws {
            // Each value is checked before any database is opened.
            _ = try ActorStore.check(
                handle: handle, name: name ?? "unchanged", roles: addRoles, timezone: timezone ?? "UTC",
                channel: channel, workingHours: workingHours)
            let preference = try delivery.map { text in
                guard let preference = DeliveryPreference(rawValue: text) else {
                    throw PodiumError(.usage, "--delivery \(text) is neither immediate nor digest")
                }
                return preference
            }
            if let digestAt, DigestSchedule.minutes(digestAt) == nil {
                throw PodiumError(.usage, "--digest-at \(digestAt) is not a time of day; write HH:MM, e.g. 08:30")
            }
            let pause = try pauseUntil.map { text -> AbsenceBoundary in
                guard let date = AbsenceBoundary(text) else {
                    throw PodiumError(
                        .usage, "--pause-until \(text) is not a day or a time; write \(DataDate.acceptedForms)")
                }
                return date
            }
            if pause != nil && resume { throw PodiumError(.usage, "--pause-until and --resume contradict each other") }
            let changes = ActorChanges(
                name: name, addRoles: addRoles, removeRoles: removeRoles, timezone: timezone, channel: channel,
                clearChannel: noChannel, workingHours: workingHours, delivery: preference, digestAt: digestAt,
                pausedUntil: pause, resume: resume)
            let record = try await Services.open().actors.update(
                handle, changes: changes, by: acting.handle)
            if output.json { return try JSONOutput.print(record) }
            Terminal.output(
                "\(record.handle) (\(Terminal.field(record.name))): roles \(record.roles.isEmpty ? "none" : record.roles.joined(separator: ", ")); "
                    + "\(record.timezone); \(record.workingHours); channel \(record.channel ?? "default"); "
                    + (record.delivery == .digest ? "a daily digest at \(record.digestAt)" : "each reminder when due")
                    + (record.pausedUntil.map { "; paused until \(DataDate.format($0))" } ?? ""))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists everyone.", discussion: "Example:\n  podium actor list --json")

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let services = try await Services.open()
            let actors = try await services.actors.list()
            if output.json { return try JSONOutput.print(actors) }
            let away = Dictionary(grouping: try await services.absences.current(), by: \.actor)
            Terminal.output(
                Table.render(
                    ["HANDLE", "NAME", "GLOBAL ROLES", "TIME ZONE", "WORKING HOURS", "AWAY"],
                    actors.map {
                        [
                            $0.handle, $0.name, $0.roles.joined(separator: ","), $0.timezone, $0.workingHours,
                            (away[$0.handle] ?? []).map(ActorCommand.describe).joined(separator: "; "),
                        ]
                    }))
        }
    }

    /// `2026-12-21T00:00:00Z to 2027-01-04T00:00:00Z, sam stands in`.
    static func describe(_ absence: Absence) -> String {
        "\(DataDate.format(absence.startsAt)) to \(DataDate.format(absence.backAt)), "
            + (absence.delegate.map { "\($0) stands in" } ?? "nobody stands in")
    }

    struct Away: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Records that someone is away, and who stands in for them.",
            discussion: """
                Meanwhile the delegate may do what the person could on their items, recorded as
                "sam for dana"; nobody approves their own work or the person's through it.
                Reminders and escalations for the person go to the delegate; without one they
                wait until the person is back, and podium stuck says so. A day (2026-12-21)
                means the start of that day on the person's clock.

                Example:
                  podium actor away dana --from 2026-12-21 --until 2027-01-04 --delegate-to sam --as dana
                """
        )

        @Argument(help: "The handle of the person who is away.")
        var handle: String

        @Option(help: "When the absence starts: a day (YYYY-MM-DD) or an RFC 3339 time; default now.")
        var from: String?

        @Option(help: "When they are back: a day (YYYY-MM-DD) or an RFC 3339 time.")
        var until: String

        @Option(name: .customLong("delegate-to"), help: "Who stands in for them meanwhile.")
        var delegate: String?

        @Option(help: "A note for the people who see it, e.g. 'parental leave'.")
        var note: String?

        @OptionGroup var acting: ActingAs

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let start = try from.map { text in
                guard let boundary = AbsenceBoundary(text) else {
                    throw PodiumError(.usage, "--from \(text) is not a day or a time; write \(DataDate.acceptedForms)")
                }
                return boundary
            }
            guard let end = AbsenceBoundary(until) else {
                throw PodiumError(.usage, "--until \(until) is not a day or a time; write \(DataDate.acceptedForms)")
            }
            let absence = try await Services.open().absences.away(
                handle, from: start, until: end, delegate: delegate, note: note, by: acting.handle)
            if output.json { return try JSONOutput.print(absence) }
            Terminal.output("\(absence.actor) is away \(ActorCommand.describe(absence))")
        }
    }

    struct Back: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ends someone's absence now (or cancels the next one).",
            discussion: "Example:\n  podium actor back dana --as dana")

        @Argument(help: "The handle of the person who is back.")
        var handle: String

        @OptionGroup var acting: ActingAs

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let absence = try await Services.open().absences.back(handle, by: acting.handle)
            if output.json { return try JSONOutput.print(absence) }
            if let ended = absence.endedAt, ended < absence.startsAt {
                Terminal.output("\(absence.actor)'s absence from \(DataDate.format(absence.startsAt)) is cancelled")
            } else {
                Terminal.output("\(absence.actor) is back; anything held for them goes out with the next worker round")
            }
        }
    }
}
