internal import CivilCalendar
public import Foundation

/// Reads the dates executives and coaches put in an item's data (`publish_at: 2026-03-10T09:00:00Z`):
/// an RFC 3339 timestamp with seconds, an optional fraction and a zone (`Z` or `+02:00`), or a plain
/// day (`2026-03-10`, taken as midnight UTC). Anything else, including impossible dates such as
/// `2026-02-30`, is nil.
///
/// A hand-written reader rather than `ISO8601DateFormatter`: every transition computes due times,
/// and building ICU formatters took a quarter of the engine's CPU time under load (see
/// BENCHMARKS.md). `podium_data_timestamp` in `SQL/004_flow_report.sql` reads the same forms.
public enum DataDate {
    /// The instant `text` names, or nil.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 10, let year = number(bytes, 0, 4), bytes[4] == dash, let month = number(bytes, 5, 2),
            bytes[7] == dash, let day = number(bytes, 8, 2), (1...12).contains(month),
            (1...Int(CivilCalendar.daysIn(month: Int64(month), year: Int64(year)))).contains(day)
        else { return nil }
        var seconds = Int(CivilCalendar.days(year: Int64(year), month: Int64(month), day: Int64(day))) * 86_400
        if bytes.count == 10 { return Date(timeIntervalSince1970: TimeInterval(seconds)) }
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T"), let hour = number(bytes, 11, 2), bytes[13] == colon,
            let minute = number(bytes, 14, 2), bytes[16] == colon, let second = number(bytes, 17, 2), hour < 24,
            minute < 60, second < 60
        else { return nil }
        seconds += hour * 3600 + minute * 60 + second
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            var scale = 0.1
            index += 1
            let start = index
            while index < bytes.count, let digit = digit(bytes[index]) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "Z") {
            guard index + 1 == bytes.count else { return nil }
        } else {
            guard bytes[index] == UInt8(ascii: "+") || bytes[index] == dash, index + 6 == bytes.count,
                let offsetHours = number(bytes, index + 1, 2), bytes[index + 3] == colon,
                let offsetMinutes = number(bytes, index + 4, 2), offsetHours < 24, offsetMinutes < 60
            else { return nil }
            let offset = offsetHours * 3600 + offsetMinutes * 60
            seconds -= bytes[index] == dash ? -offset : offset
        }
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
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
