import Foundation
import PodiumCore
import WorkflowEngine

/// How times and durations read on a terminal.
enum Formatting {
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
