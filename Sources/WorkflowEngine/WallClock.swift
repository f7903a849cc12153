internal import CivilCalendar
public import Foundation

/// The wall clock of one time zone: what a person's clock shows at an instant, and the instants
/// at which it shows a given local time. The one place Podium turns local times into instants.
///
/// Local times are not "midnight plus minutes": on the day a zone's offset changes, a local time
/// can happen twice (the clocks go back: an *overlap*) or not at all (they go forward: a *gap*).
/// Both are resolved explicitly here, from the zone's UTC offsets (`TimeZone.secondsFromGMT`),
/// and nothing else assumes a day has 24 hours.
public struct WallClock: Sendable {
    /// A local date and time of day, as a clock on the wall shows it.
    public struct LocalTime: Sendable, Equatable {
        /// Days since 1970-01-01 in the proleptic Gregorian calendar.
        public let day: Int
        /// Seconds since local midnight, 0 ..< 86,400.
        public let second: Int
        /// `second` seconds after local midnight of `day`.
        public init(day: Int, second: Int) {
            self.day = day
            self.second = second
        }

        /// 1 = Sunday ... 7 = Saturday (Foundation's numbering).
        public var weekday: Int { Int(Int64(day + 4) - CivilCalendar.floorDivide(Int64(day + 4), 7) * 7) + 1 }
    }

    public let timeZone: TimeZone

    public init(_ timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    /// What the clock shows at `date` (whole seconds, rounded down).
    public func localTime(at date: Date) -> LocalTime {
        let instant = Int(date.timeIntervalSince1970.rounded(.down))
        let local = instant + offset(at: instant)
        let day = Int(CivilCalendar.floorDivide(Int64(local), 86_400))
        return LocalTime(day: day, second: local - day * 86_400)
    }

    /// The instants at which the clock shows `time`, earliest first: one on most days, two in an
    /// overlap, none in a gap.
    public func instants(of time: LocalTime) -> [Date] {
        let local = time.day * 86_400 + time.second
        let offsets = Set([offset(at: local - 86_400 * 2), offset(at: local), offset(at: local + 86_400 * 2)])
        return offsets.map { local - $0 }.filter { offset(at: $0) == local - $0 }.sorted().map(Self.date)
    }

    /// The first instant at which the clock shows `time` or later: in a gap, the instant the
    /// clocks jump over it.
    public func firstInstant(atOrAfter time: LocalTime) -> Date {
        if let first = instants(of: time).first { return first }
        let local = time.day * 86_400 + time.second
        // In a gap the clock reads earlier than `time` with the offset before the jump and later
        // with the offset after; the jump lies between the two readings.
        let offsets = [offset(at: local - 86_400 * 2), offset(at: local + 86_400 * 2)]
        var low = local - (offsets.max() ?? 0)
        var high = local - (offsets.min() ?? 0)
        while low < high {
            let middle = low + (high - low) / 2
            if middle + offset(at: middle) >= local { high = middle } else { low = middle + 1 }
        }
        return Self.date(high)
    }

    /// The instants within `range` at which the zone's offset changes (the clocks jump), each
    /// found by bisection between readings six hours apart; real zones change their offset at
    /// most a few times a year, never twice within six hours.
    public func offsetChanges(in range: ClosedRange<Date>) -> [Date] {
        let end = Int(range.upperBound.timeIntervalSince1970.rounded(.up))
        var changes: [Date] = []
        var previous = Int(range.lowerBound.timeIntervalSince1970.rounded(.down))
        while previous < end {
            let next = min(end, previous + 6 * 3_600)
            let before = offset(at: previous)
            if offset(at: next) != before {
                var low = previous + 1
                var high = next
                while low < high {
                    let middle = low + (high - low) / 2
                    if offset(at: middle) != before { high = middle } else { low = middle + 1 }
                }
                changes.append(Self.date(high))
            }
            previous = next
        }
        return changes
    }

    private func offset(at instant: Int) -> Int {
        timeZone.secondsFromGMT(for: Self.date(instant))
    }

    private static func date(_ instant: Int) -> Date {
        Date(timeIntervalSince1970: TimeInterval(instant))
    }
}
