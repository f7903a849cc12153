import ArgumentParser
import Foundation
import WorkflowEngine

/// Who acts: the handle a command acts as, recorded in history with the role it acted in. The
/// same decider judges it whatever the door (CLI, API, inbox, link).
struct ActingAs: ParsableArguments {
    @Option(name: .customLong("as"), help: "Who acts (a handle); recorded with what they do.")
    var handle: String
}

/// Options every listing shares.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON (snake_case fields, stable) instead of text.")
    var json = false
}

/// JSON output with stable, sorted keys and RFC 3339 dates in UTC (`DataDate.format`).
enum JSONOutput {
    static func print(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // The one writer of dates (RFC 3339, UTC, proleptic Gregorian) that text and messages use.
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(DataDate.format(date))
        }
        Terminal.json(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// Aligned text columns for terminals.
enum Table {
    /// Each cell is one line: a line break or control character people typed is shown escaped.
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows.map { $0.map(Terminal.field) }
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
