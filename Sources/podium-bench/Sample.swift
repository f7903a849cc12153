import Foundation

/// Median, minimum and maximum of repeated runs (seconds, or a rate).
struct Sample {
    let values: [Double]
    var median: Double { values.sorted()[values.count / 2] }
    var min: Double { values.min() ?? 0 }
    var max: Double { values.max() ?? 0 }

    static func measure(runs: Int, _ body: () -> Void) -> Sample {
        body()  // warm up
        let clock = ContinuousClock()
        return Sample(
            values: (0..<runs).map { _ in
                let start = clock.now
                body()
                let elapsed = clock.now - start
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            })
    }

    /// The same runs, each multiplied by `factor` (seconds to milliseconds, say).
    func scaled(by factor: Double) -> Sample { Sample(values: values.map { $0 * factor }) }
}

/// One measured figure, as a line of the JSON Lines file `benchmarks/run` reads.
struct Record: Encodable {
    let name: String
    let unit: String
    let median: Double
    let min: Double
    let max: Double
    let runs: [Double]

    init(name: String, unit: String, sample: Sample) {
        self.name = name
        self.unit = unit
        self.median = sample.median
        self.min = sample.min
        self.max = sample.max
        self.runs = sample.values
    }

    /// Prints a summary line of each of `records` and, given a `path`, appends them to that JSON
    /// Lines file, one object per line.
    static func append(_ records: [Record], to path: String?) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var text = ""
        for record in records {
            text += String(decoding: try encoder.encode(record), as: UTF8.self) + "\n"
            print(
                String(
                    format: "%@: median %.2f %@ (min %.2f, max %.2f, %d runs)", record.name, record.median, record.unit,
                    record.min, record.max, record.runs.count))
        }
        guard let path else { return }
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }
}
