internal import CivilCalendar
public import Foundation

/// Reads the dates executives and coaches put in an item's data (`publish_at: 2026-03-10T09:00:00Z`):
/// an RFC 3339 `date-time` (§5.6, with its errata), or a plain `full-date` (`2026-03-10`, taken as
/// midnight UTC). Anything else is nil.
///
/// What RFC 3339 allows, and this reader therefore accepts: `T` and `Z` in either case; a fraction
/// of any length (kept to the microsecond, rounded half up, as PostgreSQL keeps instants); an offset `Z` or `±HH:MM` with hours 00 to 23 (`-00:00` included); a leap second
/// (`:60`) where the time in UTC is 23:59, read as the instant after 23:59:59 (as PostgreSQL does);
/// years 0000 to 9999 of the proleptic Gregorian calendar, for the instant read in UTC too (so
/// `9999-12-31T23:59:60Z`, which is in year 10000, is refused). Refused also: hour 24, a missing offset, a
/// space for `T`, one-digit fields, non-ASCII digits, impossible days such as `2026-02-30`.
///
/// One reader for the engine and the flow report: `podium_data_timestamp` (`SQL/009`, bounded by `SQL/012`) reads the
/// same forms to the same instants, and a shared table of cases proves it
/// (`PodiumTestSupport.DateCases`). A value that a due rule reads is checked when it is set
/// (``problem(in:dateFields:)``), so no item holds a date Podium cannot read.
///
/// A hand-written reader rather than `ISO8601DateFormatter`: every transition computes due times,
/// and building ICU formatters took a quarter of the engine's CPU time under load (see
/// BENCHMARKS.md); Foundation's formatter also refuses leap seconds and lowercase `t`.
public enum DataDate {
    /// The forms accepted, for messages.
    public static let acceptedForms =
        "an RFC 3339 time such as 2026-03-10T09:00:00Z or 2026-03-10T09:00:00+01:00, or a day such as 2026-03-10"

    /// The day (days since 1970-01-01) when `text` is a plain day such as `2026-03-10` (no time
    /// of day), else nil.
    public static func day(_ text: String) -> Int? {
        guard text.utf8.count == 10, let date = parse(text) else { return nil }
        return Int(date.timeIntervalSince1970 / 86_400)
    }

    /// The instant `text` names, or nil.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 10, let year = number(bytes, 0, 4), bytes[4] == dash, let month = number(bytes, 5, 2),
            bytes[7] == dash, let day = number(bytes, 8, 2), (1...12).contains(month),
            (1...Int(CivilCalendar.daysIn(month: Int64(month), year: Int64(year)))).contains(day)
        else { return nil }
        var seconds = Int(CivilCalendar.days(year: Int64(year), month: Int64(month), day: Int64(day))) * 86_400
        if bytes.count == 10 { return Date(timeIntervalSince1970: TimeInterval(seconds)) }
        guard bytes.count >= 20, bytes[10] | 0x20 == UInt8(ascii: "t"), let hour = number(bytes, 11, 2),
            bytes[13] == colon, let minute = number(bytes, 14, 2), bytes[16] == colon,
            let second = number(bytes, 17, 2), hour < 24, minute < 60, second <= 60
        else { return nil }
        seconds += hour * 3600 + minute * 60 + second
        var index = 19
        // The fraction in whole microseconds, the precision PostgreSQL keeps, rounded half up on
        // the digits themselves (as the SQL reader's numeric round does), never through a Double.
        var microseconds = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            var roundsUp = false
            while index < bytes.count, let digit = digit(bytes[index]) {
                let position = index - start
                if position < 6 {
                    microseconds = microseconds * 10 + digit
                } else if position == 6 {
                    roundsUp = digit >= 5
                }
                index += 1
            }
            guard index > start else { return nil }
            for _ in min(6, index - start)..<6 { microseconds *= 10 }
            if roundsUp { microseconds += 1 }
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        if bytes[index] | 0x20 == UInt8(ascii: "z") {
            guard index + 1 == bytes.count else { return nil }
        } else {
            guard bytes[index] == UInt8(ascii: "+") || bytes[index] == dash, index + 6 == bytes.count,
                let offsetHours = number(bytes, index + 1, 2), bytes[index + 3] == colon,
                let offsetMinutes = number(bytes, index + 4, 2), offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offset = (offsetHours * 3600 + offsetMinutes * 60) * (bytes[index] == dash ? -1 : 1)
        }
        // A leap second ends a UTC day: 23:59:60Z, or 15:59:60-08:00.
        if second == 60 {
            let minuteInUTC = ((hour * 60 + minute - offset / 60) % 1440 + 1440) % 1440
            guard minuteInUTC == 1439 else { return nil }
        }
        // The instant must fall in a year ``format(_:)`` can spell: a leap second, an offset or a
        // rounded fraction can carry 9999-12-31 into year 10000, or 0000-01-01 back into 2 BC.
        var instant = seconds - offset
        if microseconds == 1_000_000 { (instant, microseconds) = (instant + 1, 0) }
        guard (firstSecond...lastSecond).contains(instant) else { return nil }
        // Far from 1970 a Double holds tens of microseconds at best (about 30 µs in year 9999), so
        // a fraction could round up into the next whole second, which the written form (whole
        // seconds, rounded down) would then name: 9999-12-31T23:59:59.9999994Z became year 10000.
        let value = TimeInterval(instant) + TimeInterval(microseconds) / 1_000_000
        return Date(timeIntervalSince1970: min(value, TimeInterval(instant + 1).nextDown))
    }

    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z, in seconds since the Unix epoch: the first
    /// and last whole seconds a date in data may name.
    private static let firstSecond = -62_167_219_200
    private static let lastSecond = 253_402_300_799

    /// Why `changes` cannot be stored, or nil: a value of one of `dateFields` (the fields a due
    /// rule reads, ``WorkflowDefinition/dateFields``) that is not a date, empty included: setting
    /// one to nothing would silently take the deadline, its reminders and its escalation away.
    public static func problem(in changes: [String: String], dateFields: Set<String>) -> String? {
        for (field, value) in changes.sorted(by: { $0.key < $1.key })
        where dateFields.contains(field) && parse(value) == nil {
            return "\(field) \"\(value)\" is not a date, and a due time is read from it; write \(acceptedForms)"
        }
        return nil
    }

    /// `date` as `2026-03-10T09:00:00Z` (UTC, whole seconds, fractions dropped), the form
    /// messages carry.
    public static func format(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = CivilCalendar.floorDivide(seconds, 86_400)
        let inDay = seconds - days * 86_400
        let (year, month, day) = CivilCalendar.date(days: days)
        var text: [UInt8] = []
        text.reserveCapacity(20)
        CivilCalendar.appendPadded(year, width: 4, to: &text)
        text.append(dash)
        CivilCalendar.appendPadded(month, width: 2, to: &text)
        text.append(dash)
        CivilCalendar.appendPadded(day, width: 2, to: &text)
        text.append(UInt8(ascii: "T"))
        CivilCalendar.appendPadded(inDay / 3600, width: 2, to: &text)
        text.append(colon)
        CivilCalendar.appendPadded(inDay % 3600 / 60, width: 2, to: &text)
        text.append(colon)
        CivilCalendar.appendPadded(inDay % 60, width: 2, to: &text)
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    private static let dash = UInt8(ascii: "-")
    private static let colon = UInt8(ascii: ":")

    private static func digit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ length: Int) -> Int? {
        guard start + length <= bytes.count else { return nil }
        var value = 0
        for index in start..<(start + length) {
            guard let digit = digit(bytes[index]) else { return nil }
            value = value * 10 + digit
        }
        return value
    }
}
