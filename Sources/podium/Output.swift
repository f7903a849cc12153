import ArgumentParser
import Foundation

/// Options every listing shares.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON (snake_case fields, stable) instead of text.")
    var json = false
}

/// JSON output with stable, sorted keys and ISO 8601 dates.
enum JSONOutput {
    static func print(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        Terminal.output(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// Aligned text columns for terminals.
enum Table {
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
