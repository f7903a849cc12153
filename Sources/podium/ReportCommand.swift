import ArgumentParser
import Foundation
import PodiumCore
import WorkflowEngine

extension ItemCommand {
    struct Metrics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Records engagement measured on an item: messages, replies, likes.",
            discussion:
                "Example:\n  podium item metrics 42 --messages 1279 --replies 283 --likes 1496 --at 2026-04-01 --as carol"
        )

        @Argument(help: "The item id.")
        var id: Int

        @Option(parsing: .unconditional, help: "Messages counted.")
        var messages: Int

        @Option(parsing: .unconditional, help: "Replies counted.")
        var replies: Int

        @Option(parsing: .unconditional, help: "Likes counted.")
        var likes: Int

        @Option(help: "When it was measured (RFC 3339, e.g. 2026-03-10T09:00:00Z, or a day; default now).")
        var at: String?

        @OptionGroup var actor: ActingAs

        func validate() throws {
            for (name, value) in [("--messages", messages), ("--replies", replies), ("--likes", likes)] where value < 0
            {
                throw ValidationError("\(name) must be 0 or more, not \(value)")
            }
        }

        func run() async throws {
            let when = try at.map { try ReportCommand.date($0, option: "--at") }
            try await Services.open().reports.recordMetrics(
                item: id, messages: messages, replies: replies, likes: likes, at: when, by: actor.handle)
            Terminal.output("item \(id): engagement recorded")
        }
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports on how work flows and on the impact of executives' engagement.",
        subcommands: [Flow.self, Impact.self]
    )

    static func since(_ text: String?) throws -> Date? {
        try text.map { try date($0, option: "--since") }
    }

    /// An RFC 3339 time or a day given on the command line (``DataDate``).
    static func date(_ text: String, option: String) throws -> Date {
        guard let date = StageSchedule.parseDate(text) else {
            throw PodiumError(
                .usage, "\(option) \(text) is not a date; write \(DataDate.acceptedForms)")
        }
        return date
    }

    static func percent(_ value: Double?) -> String {
        value.map { String(format: "%+.2f%%", $0) } ?? "-"
    }

    struct Flow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per stage: items passed, median and p90 time in stage, share on time, rework.",
            discussion: "Example:\n  podium report flow --workflow exec-post --since 2026-03-01"
        )

        @Option(help: "Only this workflow.")
        var workflow: String?

        @Option(help: "Only stage visits that began on or after this date.")
        var since: String?

        @Option(help: "text, json or html (a self-contained page with a chart).")
        var format: ReportFormat = .text

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let rows = try await Services.open(for: .readOnlyCommand).reports
                .flow(workflow: workflow, since: try ReportCommand.since(since))
            if output.json || format == .json { return try JSONOutput.print(rows) }
            let header = ["WORKFLOW", "STAGE", "PASSED", "MEDIAN", "P90", "ON TIME", "REWORK"]
            let table = rows.map { row in
                [
                    row.workflow, row.stage, "\(row.passed)",
                    row.medianSeconds.map { Formatting.duration(seconds: $0) } ?? "-",
                    row.p90Seconds.map { Formatting.duration(seconds: $0) } ?? "-",
                    row.onTimeShare.map { String(format: "%.0f%%", $0 * 100) } ?? "-", "\(row.rework)",
                ]
            }
            guard format == .html else { return Terminal.output(Table.render(header, table)) }
            let bars = rows.compactMap { row in
                row.medianSeconds.map {
                    HTMLReport.Bar(
                        label: "\(row.workflow) \(row.stage)", value: Double($0), text: Formatting.duration(seconds: $0)
                    )
                }
            }
            Terminal.output(
                HTMLReport.page(
                    title: "Podium: flow", subtitle: "Median time in each stage, items passed, on time, rework",
                    charts: [("Median time in stage", bars)], header: header, rows: table), terminator: "")
        }
    }

    struct Impact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Engagement before and after each executive started publishing, as percentage changes.",
            discussion: """
                Measurements (podium item metrics) on items where someone is the executive are
                split at the first time one of their items fired the publishing transition
                (default: published). Averages per measurement are compared, per executive and
                overall.

                Example:
                  podium report impact --since 2026-01-01
                """
        )

        @Option(help: "Only measurements on or after this date.")
        var since: String?

        @Option(help: "The transition that marks publishing.")
        var publishedTransition = "published"

        @Option(help: "text, json or html (a self-contained page with a chart).")
        var format: ReportFormat = .text

        @OptionGroup var reader: ReaderOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let services = try await Services.open(for: .readOnlyCommand)
            let rows = try await services.reports.impact(
                since: try ReportCommand.since(since), publishedTransition: publishedTransition)
            let zone = try await reader.zone(services: services)
            if output.json || format == .json { return try JSONOutput.print(rows) }
            let header = [
                "EXECUTIVE", "PUBLISHING SINCE", "MEASUREMENTS BEFORE", "MEASUREMENTS AFTER", "MESSAGES", "REPLIES",
                "LIKES",
            ]
            let table = rows.map { row in
                [
                    row.executive, row.startedPublishing.map(zone.time) ?? "-",
                    "\(row.measurementsBefore)", "\(row.measurementsAfter)",
                    ReportCommand.percent(row.change.messages), ReportCommand.percent(row.change.replies),
                    ReportCommand.percent(row.change.likes),
                ]
            }
            guard format == .html else { return Terminal.output(Table.render(header, table)) }
            let charts = [("Messages", \ImpactRow.Change.messages), ("Replies", \.replies), ("Likes", \.likes)].map {
                title, metric in
                (
                    "\(title): change after publishing",
                    rows.compactMap { row in
                        row.change[keyPath: metric].map {
                            HTMLReport.Bar(label: row.executive, value: $0, text: ReportCommand.percent($0))
                        }
                    }
                )
            }
            Terminal.output(
                HTMLReport.page(
                    title: "Podium: impact", subtitle: "Engagement before and after each executive started publishing",
                    charts: charts, header: header, rows: table), terminator: "")
        }
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, html
}
