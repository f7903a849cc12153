import ArgumentParser
import Foundation
import PodiumCore
import WorkflowEngine
import WorkflowLanguage

/// `podium calendar`: the business calendars that `due: N business days` counts in.
struct CalendarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract: "Validate, load and show business calendars (working days and holidays).",
        discussion: """
            A calendar file names its zone, its working weekdays and its holidays:

              name: head-office
              title: Head office, London
              zone: Europe/London
              working_days: [mon, tue, wed, thu, fri]
              holidays:
                2026-12-25: Christmas Day

            A workflow counts business days in one with calendar: NAME at its top.
            """,
        subcommands: [Validate.self, Load.self, List.self, Show.self]
    )

    /// Reads and checks calendar files, printing each finding as FILE:LINE:COL.
    static func check(_ paths: [String], quiet: Bool) throws -> (
        [(file: String, source: String, definition: CalendarDefinition)], [Finding], failed: Bool
    ) {
        var checked: [(file: String, source: String, definition: CalendarDefinition)] = []
        var findings: [Finding] = []
        var failed = false
        for file in try WorkflowFiles.expand(paths) {
            let source = try WorkflowFiles.read(file)
            let check = CalendarParser.check(source, zoneProblem: BusinessCalendar.zoneProblem)
            findings += check.diagnostics.map { Finding(file: file, diagnostic: $0) }
            if !quiet { for diagnostic in check.diagnostics { Terminal.output(diagnostic.formatted(file: file)) } }
            if let definition = check.definition {
                checked.append((file, source, definition))
            } else {
                failed = true
            }
        }
        return (checked, findings, failed)
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Checks calendar files; prints FILE:LINE:COL: error: message.",
            discussion: """
                Exits 1 when any file has an error. Needs no database.

                Example:
                  podium calendar validate Calendars
                """
        )

        @Argument(help: "Calendar files or folders.")
        var paths: [String] = ["Calendars"]

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (checked, findings, failed) = try CalendarCommand.check(paths, quiet: output.json)
            if output.json { try JSONOutput.print(findings) }
            for item in checked {
                Terminal.note(
                    "\(item.file): ok (\(item.definition.name), \(item.definition.holidays.count) holidays)")
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validates and stores calendar files.",
            discussion: """
                A calendar is stored under its name; loading a changed file replaces it (next
                year's holidays, say). Deadlines are worked out when a stage is entered, so those
                already set keep the calendar they were counted in. A file with errors is never
                loaded (exit 1). Load a calendar before the workflows that name it.

                Example:
                  podium calendar load Calendars/head-office.yaml
                """
        )

        @Argument(help: "Calendar files or folders.")
        var paths: [String] = ["Calendars"]

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (checked, findings, failed) = try CalendarCommand.check(paths, quiet: true)
            for finding in findings {
                Terminal.note(
                    "\(finding.file):\(finding.line):\(finding.column): \(finding.severity): \(finding.message)")
            }
            if failed {
                Terminal.error("nothing loaded: fix the errors above first")
                throw ExitCode(1)
            }
            for (index, item) in checked.enumerated() {
                if let first = checked[..<index].first(where: { $0.definition.name == item.definition.name }) {
                    Terminal.error(
                        "\(first.file) and \(item.file) are both calendar \(item.definition.name); nothing loaded")
                    throw ExitCode(1)
                }
            }
            let store = try await Services.open().calendars
            var outcomes: [CalendarLoadOutcome] = []
            for item in checked {
                outcomes.append(try await store.load(item.definition, source: item.source, path: item.file))
            }
            if output.json { return try JSONOutput.print(outcomes) }
            for outcome in outcomes {
                Terminal.output(
                    "\(outcome.name) revision \(outcome.revision) \(outcome.changed ? "loaded" : "unchanged")")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists loaded calendars.", discussion: "Example:\n  podium calendar list --json")

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let calendars = try await Services.open().calendars.list()
            if output.json { return try JSONOutput.print(calendars) }
            if calendars.isEmpty { return Terminal.note("no calendars loaded; run podium calendar load") }
            Terminal.output(
                Table.render(
                    ["NAME", "ZONE", "WORKING DAYS", "HOLIDAYS", "REVISION", "TITLE"],
                    calendars.map {
                        [
                            $0.definition.name, $0.definition.zone, CalendarCommand.weekdays($0.definition),
                            "\($0.definition.holidays.count)", "\($0.revision)", $0.definition.title,
                        ]
                    }))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Shows a calendar: its zone, working days and holidays.",
            discussion: "Example:\n  podium calendar show head-office")

        @Argument(help: "The calendar's name.")
        var name: String

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let stored = try await Services.open().calendars.show(name)
            if output.json { return try JSONOutput.print(stored) }
            let definition = stored.definition
            Terminal.output("\(definition.name): \(definition.title)")
            Terminal.output("zone          \(definition.zone)")
            Terminal.output("working days  \(CalendarCommand.weekdays(definition))")
            Terminal.output("revision      \(stored.revision)\(stored.sourcePath.map { " from \($0)" } ?? "")")
            if definition.holidays.isEmpty { return Terminal.output("no holidays") }
            Terminal.output(
                Table.render(["HOLIDAY", "NAME"], definition.holidays.map { [$0.date, $0.name] }))
        }
    }

    /// `mon tue wed thu fri`.
    static func weekdays(_ definition: CalendarDefinition) -> String {
        definition.workingDays.map { CalendarDefinition.weekdayNames[$0 - 1] }.joined(separator: " ")
    }
}
