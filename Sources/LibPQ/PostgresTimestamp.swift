internal import CivilCalendar

/// Conversion between `timestamptz` text (ISO style, UTC) and seconds since 1970.
///
/// Every connection sets `TimeZone = 'UTC'` and `DateStyle = 'ISO, YMD'`, so the server writes
/// `2026-11-28 09:30:00.25+00`, with ` BC` after years before 1. The arithmetic is Howard
/// Hinnant's proleptic Gregorian day count, valid over PostgreSQL's whole range
/// (4713 BC to 294276 AD), with microsecond precision and no calendar objects.
enum PostgresTimestamp {
    /// Formats whole seconds plus microseconds since 1970 as `YYYY-MM-DD HH:MM:SS.ffffff+00`.
    static func format(seconds: Int64, microseconds: Int64) -> String {
        let days = CivilCalendar.floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilCalendar.date(days: days)
        let isBC = year <= 0
        let shownYear = isBC ? 1 - year : year
        // Written byte by byte: a transition binds half a dozen timestamps, and string
        // interpolation made this 3% of the client's CPU.
        var text: [UInt8] = []
        text.reserveCapacity(32)
        CivilCalendar.appendPadded(shownYear, width: 4, to: &text)
        text.append(UInt8(ascii: "-"))
        CivilCalendar.appendPadded(month, width: 2, to: &text)
        text.append(UInt8(ascii: "-"))
        CivilCalendar.appendPadded(day, width: 2, to: &text)
        text.append(UInt8(ascii: " "))
        CivilCalendar.appendPadded(secondOfDay / 3600, width: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        CivilCalendar.appendPadded(secondOfDay / 60 % 60, width: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        CivilCalendar.appendPadded(secondOfDay % 60, width: 2, to: &text)
        if microseconds != 0 {
            text.append(UInt8(ascii: "."))
            CivilCalendar.appendPadded(microseconds, width: 6, to: &text)
        }
        text.append(contentsOf: "+00".utf8)
        if isBC { text.append(contentsOf: " BC".utf8) }
        return String(decoding: text, as: UTF8.self)
    }

    /// Parses the server's ISO output into whole seconds and microseconds since 1970.
    static func parse(_ text: String) -> (seconds: Int64, microseconds: Int64)? {
        var scanner = Scanner(text)
        guard let year = scanner.number(), scanner.skip("-"),
            let month = scanner.number(digits: 2), scanner.skip("-"),
            let day = scanner.number(digits: 2), scanner.skip(" ") || scanner.skip("T"),
            let hour = scanner.number(digits: 2), scanner.skip(":"),
            let minute = scanner.number(digits: 2), scanner.skip(":"),
            let second = scanner.number(digits: 2)
        else { return nil }
        var micros: Int64 = 0
        if scanner.skip(".") {
            guard let (fraction, count) = scanner.fraction(), count <= 6 else { return nil }
            micros = fraction * power10(6 - count)
        }
        var offset: Int64 = 0
        if let sign = scanner.sign() {
            guard let offsetHours = scanner.number(digits: 2) else { return nil }
            var offsetSeconds = offsetHours * 3600
            if scanner.skip(":") {
                guard let minutes = scanner.number(digits: 2) else { return nil }
                offsetSeconds += minutes * 60
                if scanner.skip(":") {
                    guard let seconds = scanner.number(digits: 2) else { return nil }
                    offsetSeconds += seconds
                }
            }
            offset = sign * offsetSeconds
        }
        let isBC = scanner.skip(" BC")
        guard scanner.isAtEnd, (1...12).contains(month), (1...31).contains(day), hour < 24,
            minute < 60, second < 61
        else { return nil }
        let astronomicalYear = isBC ? 1 - year : year
        let days = CivilCalendar.days(year: astronomicalYear, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return (seconds, micros)
    }

    private static func power10(_ exponent: Int) -> Int64 {
        (0..<exponent).reduce(1) { value, _ in value * 10 }
    }

    /// A tiny forward-only reader over ASCII digits and punctuation.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ text: String) { bytes = Array(text.utf8) }

        var isAtEnd: Bool { index == bytes.count }

        /// Consumes `literal` when it comes next. Compares in place: allocating two arrays per
        /// call made parsing timestamps 6% of the worker's CPU.
        mutating func skip(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
            index += count
            return true
        }

        mutating func number(digits: Int? = nil) -> Int64? {
            let start = index
            var value: Int64 = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57, index - start < 9 {
                value = value * 10 + Int64(bytes[index] - 48)
                index += 1
            }
            let count = index - start
            guard count > 0, digits == nil || count == digits else { return nil }
            return value
        }

        mutating func fraction() -> (Int64, Int)? {
            let start = index
            guard let value = number() else { return nil }
            return (value, index - start)
        }

        mutating func sign() -> Int64? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }
    }
}
