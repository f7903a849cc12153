import ArgumentParser
import Foundation
import PodiumCore

/// `podium metrics import`: engagement from the platforms' exports.
struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Imports engagement from the platforms' post analytics exports (CSV).",
        subcommands: [Import.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Records messages, replies, likes and impressions from a CSV export, matched to items by post URL.",
            discussion: """
                Each row is matched to the item whose data holds the post's address (url, as set
                with --set url=... when it was published), compared without its query and a final
                slash. Importing the same file again changes nothing; a corrected export updates
                what changed. Rows that match no item, or cannot be read, are listed on stderr.

                Formats (the columns each reads; --map names others):
                  linkedin  Post link, Created date, Reposts (messages), Comments, Reactions, Impressions
                  x         Post permalink, time, reposts (messages), replies, likes, impressions
                  generic   url, date, messages, replies, likes, impressions

                Example:
                  podium metrics import linkedin-posts.csv --format linkedin --as carol
                  podium metrics import weekly.csv --format generic --map "Post URL=url" --as carol
                """
        )

        @Argument(help: "The CSV file (UTF-8, with or without a byte order mark).")
        var file: String

        @Option(help: "linkedin, x or generic.")
        var format: String

        @Option(
            help:
                "COLUMN=FIELD: read a field (url, date, messages, replies, likes, impressions) from another column (repeatable)."
        )
        var map: [String] = []

        @OptionGroup var acting: ActingAs
        @OptionGroup var output: OutputOptions

        func run() async throws {
            guard var chosen = EngagementFormat.named(format) else {
                throw PodiumError(.usage, "--format \(format): use linkedin, x or generic", reason: "format")
            }
            let overrides = try map.map { pair -> (column: String, field: String) in
                guard let equals = pair.lastIndex(of: "="), equals != pair.startIndex else {
                    throw PodiumError(.usage, "--map \(pair): write COLUMN=FIELD", reason: "map")
                }
                return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
            }
            chosen = try chosen.mapping(overrides)
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw PodiumError(.usage, "cannot read \(file) as UTF-8 text", reason: "file")
            }
            let (rows, problems) = try EngagementCSV.read(text, format: chosen)
            let summary = try await Services.open().reports.importEngagement(
                rows, format: chosen, unreadable: problems, by: acting.handle)
            if output.json { return try JSONOutput.print(summary) }
            Terminal.output(
                "\(summary.added) added, \(summary.updated) updated, \(summary.unchanged) unchanged"
                    + (summary.unmatched.isEmpty ? "" : "; \(summary.unmatched.count) matched no item")
                    + (summary.unreadable.isEmpty ? "" : "; \(summary.unreadable.count) could not be read"))
            for problem in summary.unreadable + summary.unmatched {
                Terminal.note("  row \(problem.row): \(problem.reason)")
            }
        }
    }
}
