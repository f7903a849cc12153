// Fuzzing Podium's parsers of untrusted text: workflow files, durations, `KEY=VALUE` arguments,
// working hours, scenario files, dates in item data, the flat JSON a transition reads, and
// engagement exports (CSV).
//
// Built two ways:
// - normally (`swift build`): `podium-fuzz DIR...` replays every file in the corpus folders
//   through the same checks, as a regression test (`scripts/test` runs it on `fuzz/corpus`);
// - for fuzzing (`scripts/fuzz`, `-sanitize=fuzzer,address -DFUZZING`): libFuzzer's driver
//   calls `check` with generated inputs and keeps those that reach new code.
import Foundation
import LibPQ
import PodiumCore
import WorkflowEngine
import WorkflowLanguage

/// Runs one input through every parser and checks what must hold of their results, not only
/// that they return: a valid workflow survives its canonical form, a duration its own spelling,
/// a `KEY=VALUE` pair its own joining.
func check(_ bytes: UnsafeRawBufferPointer) {
    let text = String(decoding: bytes, as: UTF8.self)
    let checked = WorkflowParser.check(text)
    if let definition = checked.validDefinition {
        let canonical = definition.canonicalJSON()
        guard let reread = try? WorkflowDefinition.fromCanonicalJSON(canonical) else {
            fatalError("a valid workflow's canonical form does not parse back")
        }
        precondition(reread.canonicalJSON() == canonical, "the canonical form is not a fixed point")
    }
    for line in text.split(separator: "\n", maxSplits: 64, omittingEmptySubsequences: true).map(String.init) {
        if let duration = try? WorkflowDuration(parsing: line) {
            let again = try? WorkflowDuration(parsing: duration.description)
            precondition(again == duration, "duration \(duration) does not read back from its spelling")
        }
        if let (key, value) = try? InputLimits.pair(line, what: "--set") {
            precondition(!key.isEmpty && "\(key)=\(value)" == line, "KEY=VALUE split \(line) into \(key) and \(value)")
        }
        if let hours = try? WorkingHours(parsing: line) { checkOpenings(hours) }
        if let date = DataDate.parse(line) {
            precondition(date.timeIntervalSince1970.isFinite, "a date in data must be finite")
            let whole = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
            precondition(DataDate.parse(DataDate.format(date)) == whole, "\(line) does not read back from its spelling")
        }
    }
    _ = try? Scenario.parse(text)
    checkFlatJSON(text)
    checkEngagementCSV(text)
}

/// An export read as CSV: every row read keeps to what the table holds (counts from 0 to 2^31-1,
/// a post address), whatever the file.
func checkEngagementCSV(_ text: String) {
    guard let (rows, _) = try? EngagementCSV.read(text, format: .generic) else { return }
    for row in rows {
        precondition(!row.url.isEmpty, "a row without a post address was read")
        for count in [row.messages, row.replies, row.likes, row.impressions ?? 0] {
            precondition((0...Int(Int32.max)).contains(count), "a count out of range was read: \(count)")
        }
    }
}

/// Working hours open at an instant that is open, never before the moment asked about, and
/// strictly later when closed (a worker holds a task until then), on both kinds of clock change.
func checkOpenings(_ hours: WorkingHours) {
    for (zone, moment) in openingProbes {
        let opening = hours.nextOpening(atOrAfter: moment, in: zone)
        precondition(hours.isOpen(at: opening, in: zone), "\(hours) opens at a closed instant in \(zone.identifier)")
        precondition(
            hours.isOpen(at: moment, in: zone) ? opening == moment : opening > moment,
            "\(hours) in \(zone.identifier) opens at \(opening), not after \(moment)")
    }
}

/// Zones and instants around their 2026 clock changes: New York (spring forward at 02:00),
/// Lord Howe (half an hour back) and Santiago (back across midnight).
let openingProbes: [(TimeZone, Date)] = [
    ("America/New_York", "2026-03-08T06:30:00Z"), ("America/New_York", "2026-11-01T05:30:00Z"),
    ("Australia/Lord_Howe", "2026-04-04T14:45:00Z"), ("America/Santiago", "2026-04-05T02:30:00Z"),
].compactMap { name, instant in
    guard let zone = TimeZone(identifier: name), let date = DataDate.parse(instant) else { return nil }
    return (zone, date)
}

/// The direct JSON reader accepts only what Foundation reads the same way, and reads back what
/// `PostgresJSON` writes for an item's data.
func checkFlatJSON(_ text: String) {
    if let object = JSONStringsReader.object(text) {
        let foundation = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))
        precondition(foundation == object, "JSONStringsReader.object and Foundation disagree on \(text)")
        let written = try? PostgresJSON(object).postgresText()
        precondition(written.flatMap(JSONStringsReader.object) == object, "a written object does not read back")
    }
    if let arrays = JSONStringsReader.arrays(text) {
        let foundation = try? JSONDecoder().decode([[String]].self, from: Data(text.utf8))
        precondition(foundation == arrays, "JSONStringsReader.arrays and Foundation disagree on \(text)")
    }
}

#if FUZZING
    /// libFuzzer's driver (`LLVMFuzzerRunDriver` in compiler-rt), declared here because no C
    /// header brings it in.
    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// The executable's entry point when fuzzing. SwiftPM links `main` to `podium_fuzz_main`, so
    /// this hands control to libFuzzer's driver instead of libFuzzer's own `main`.
    @_cdecl("podium_fuzz_main")
    func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var count = argc
        var arguments = argv
        return runFuzzerDriver(&count, &arguments) { data, size in
            check(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
    }
#else
    /// Replays corpus folders: `podium-fuzz fuzz/corpus`.
    @main
    struct ReplayCorpus {
        static func main() throws {
            let folders = CommandLine.arguments.dropFirst()
            guard !folders.isEmpty else {
                FileHandle.standardError.write(Data("usage: podium-fuzz CORPUS_DIR...\n".utf8))
                exit(2)
            }
            var count = 0
            for folder in folders {
                let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
                for file in files {
                    let data = try Data(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent(file))
                    data.withUnsafeBytes(check)
                    count += 1
                }
            }
            print("replayed \(count) corpus inputs: all checks hold")
        }
    }
#endif
