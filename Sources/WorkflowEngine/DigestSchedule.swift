public import Foundation

/// When a person's daily digest goes out: at their chosen clock time, on their working days.
public enum DigestSchedule {
    /// `HH:MM` as minutes after midnight, or nil for anything else.
    public static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let hours = Int(parts[0]), let minutes = Int(parts[1]), (0..<24).contains(hours), (0..<60).contains(minutes)
        else { return nil }
        return hours * 60 + minutes
    }

    /// `minutes` after midnight as `HH:MM`.
    public static func text(_ minutes: Int) -> String {
        let hours = minutes / 60, rest = minutes % 60
        return (hours < 10 ? "0" : "") + "\(hours):" + (rest < 10 ? "0" : "") + "\(rest)"
    }

    /// The first instant after `now` at which the clock in `zone` shows `minutes` after
    /// midnight on one of `weekdays` (1 = Sunday ... 7 = Saturday). A time the clocks skip
    /// that day is the instant they jump; with no weekday at all, every day counts.
    public static func next(after now: Date, minutes: Int, weekdays: Set<Int>, in zone: TimeZone) -> Date {
        let clock = WallClock(zone)
        let today = clock.localTime(at: now).day
        for offset in 0...8 {
            let day = WallClock.LocalTime(day: today + offset, second: minutes * 60)
            guard weekdays.isEmpty || weekdays.contains(day.weekday) else { continue }
            let instant = clock.firstInstant(atOrAfter: day)
            if instant > now { return instant }
        }
        return clock.firstInstant(atOrAfter: WallClock.LocalTime(day: today + 1, second: minutes * 60))
    }
}
