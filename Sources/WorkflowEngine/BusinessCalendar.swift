internal import CivilCalendar
public import Foundation
public import WorkflowLanguage

/// Business-day arithmetic in one calendar: which local dates are working days, and the instant
/// a number of working days from another.
///
/// A business day is a working date, not 24 hours nor a day's working hours:
/// - **Forward** (`due: 2 business days`): the same local time of day on the second working
///   date after the date the item entered. Friday 15:00 plus 1 is Monday 15:00; with Monday a
///   holiday, Tuesday 15:00. Entered on a day off, the count starts at 00:00 of the next working
///   date: Saturday 11:00 plus 1 is Tuesday 00:00, the whole of Monday to do it in.
/// - **Backward** (`due: {before: publish_at, by: 1 business day}`): the same local time of day
///   on the working date that many working dates earlier. A date on a day off counts from 00:00
///   of the next working date: a Saturday publication, 1 business day before, is due at Friday
///   00:00, leaving Friday clear.
///
/// Either way the due date is a working date, and the time of day is the clock's in the
/// calendar's zone (so a DST change in between moves nothing: 10:00 stays 10:00). A local
/// time the clocks skip resolves to the instant they jump; one they show twice, to the first.
public struct BusinessCalendar: Sendable {
    /// The definition this arithmetic follows.
    public let definition: CalendarDefinition
    /// The zone's wall clock.
    public let clock: WallClock
    private let workingWeekdays: Set<Int>
    /// Holidays as days since 1970-01-01.
    private let holidayDays: Set<Int>

    /// Calendar arithmetic for `definition`.
    ///
    /// - Throws: ``TimeZoneNameError`` when the zone is unknown.
    public init(_ definition: CalendarDefinition) throws(TimeZoneNameError) {
        self.definition = definition
        clock = WallClock(try TimeZoneName.zone(definition.zone))
        workingWeekdays = Set(definition.workingDays)
        holidayDays = Set(definition.holidays.compactMap { Self.day(of: $0.date) })
    }

    /// True when `day` (days since 1970-01-01) is a working weekday and no holiday.
    public func isWorkingDay(_ day: Int) -> Bool {
        guard !workingWeekdays.isEmpty else { return false }
        let weekday = WallClock.LocalTime(day: day, second: 0).weekday
        return workingWeekdays.contains(weekday) && !holidayDays.contains(day)
    }

    /// The instant `days` business days after `start` (see the type's rules).
    public func adding(_ days: Int, to start: Date) -> Date {
        let from = normalised(start)
        return clock.firstInstant(
            atOrAfter: WallClock.LocalTime(day: step(from.day, by: days), second: from.second))
    }

    /// The instant `days` business days before `end` (see the type's rules).
    public func subtracting(_ days: Int, from end: Date) -> Date {
        let from = normalised(end)
        return clock.firstInstant(
            atOrAfter: WallClock.LocalTime(day: step(from.day, by: -days), second: from.second))
    }

    /// The instant `days` business days before 00:00 of `day` (days since 1970-01-01) on this
    /// calendar's clock: how a plain date such as `publish_at: 2026-04-14` is counted back from.
    public func subtracting(_ days: Int, fromStartOf day: Int) -> Date {
        let from = normalised(WallClock.LocalTime(day: day, second: 0))
        return clock.firstInstant(
            atOrAfter: WallClock.LocalTime(day: step(from.day, by: -days), second: from.second))
    }

    /// The local time of `date`, or 00:00 of the next working date when it falls on a day off.
    private func normalised(_ date: Date) -> WallClock.LocalTime {
        normalised(clock.localTime(at: date))
    }

    private func normalised(_ local: WallClock.LocalTime) -> WallClock.LocalTime {
        guard !isWorkingDay(local.day) else { return local }
        return WallClock.LocalTime(day: step(local.day, by: 1), second: 0)
    }

    /// The working date `count` working dates after `day` (before it when negative). A
    /// calendar with no working day at all never reaches one: the date is then left as it is.
    private func step(_ day: Int, by count: Int) -> Int {
        guard !workingWeekdays.isEmpty else { return day }
        var day = day
        var left = abs(count)
        let direction = count < 0 ? -1 : 1
        while left > 0 {
            day += direction
            if isWorkingDay(day) { left -= 1 }
        }
        return day
    }

    private static func day(of date: String) -> Int? {
        let parts = date.split(separator: "-").compactMap { Int64($0) }
        guard parts.count == 3 else { return nil }
        return Int(CivilCalendar.days(year: parts[0], month: parts[1], day: parts[2]))
    }
}
