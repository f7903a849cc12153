import Foundation
import PodiumCore
import WorkflowEngine

/// How times and durations read on a terminal.
enum Formatting {
    /// `2026-03-10 09:00 UTC`: the instant as typed, in the proleptic Gregorian calendar
    /// (Foundation's `DateFormatter` shows 1500-01-01 as 1499-12-23, Julian), written by the same
    /// writer as `--json` and messages.
    static func time(_ date: Date) -> String {
        let iso = DataDate.format(date)  // 2026-03-10T09:00:00Z
        let clock = iso.index(iso.endIndex, offsetBy: -9)
        return "\(iso[..<iso.index(before: clock)]) \(iso[clock...].prefix(5)) UTC"
    }

    /// `2d 3h`, `45m`, `12s`: the two largest units.
    static func duration(seconds: Int) -> String {
        DurationText.approximate(seconds: seconds)
    }

    /// `in 2d 3h` or `3h overdue`.
    static func relative(_ date: Date, now: Date) -> String {
        let seconds = Int(date.timeIntervalSince(now))
        return seconds >= 0 ? "in \(duration(seconds: seconds))" : "\(duration(seconds: -seconds)) overdue"
    }
}
