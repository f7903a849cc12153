public import Foundation

/// When a person may be reminded: weekdays and a daily window in their own time zone, or always.
///
///     try WorkingHours(parsing: "Mon-Fri 09:00-18:00")
///     try WorkingHours(parsing: "Mon,Wed,Fri 08:30-12:00")
///     try WorkingHours(parsing: "always")
public struct WorkingHours: Sendable, Equatable, CustomStringConvertible {
    /// Weekdays, 1 = Sunday ... 7 = Saturday (Foundation's numbering).
    public let weekdays: Set<Int>
    /// Minutes after midnight when the window opens and closes (close > open).
    public let opens: Int
    public let closes: Int
    public let isAlways: Bool

    /// Monday to Friday, 09:00 to 18:00.
    public static let standard = WorkingHours(weekdays: [2, 3, 4, 5, 6], opens: 540, closes: 1080, isAlways: false)
    /// No restriction.
    public static let always = WorkingHours(weekdays: Set(1...7), opens: 0, closes: 1440, isAlways: true)

    private static let dayNames = ["sun": 1, "mon": 2, "tue": 3, "wed": 4, "thu": 5, "fri": 6, "sat": 7]

    private init(weekdays: Set<Int>, opens: Int, closes: Int, isAlways: Bool) {
        self.weekdays = weekdays
        self.opens = opens
        self.closes = closes
        self.isAlways = isAlways
    }

    /// Parses `always` or `DAYS HH:MM-HH:MM`, where DAYS is `Mon-Fri`, `Mon,Wed,Fri` or `Sat`.
    public init(parsing text: String) throws(WorkingHoursError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "always" {
            self = .always
            return
        }
        let parts = trimmed.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { throw WorkingHoursError(text) }
        var days: Set<Int> = []
        for piece in parts[0].lowercased().split(separator: ",") {
            let range = piece.split(separator: "-")
            guard let first = range.first.flatMap({ Self.dayNames[String($0)] }),
                let last = range.last.flatMap({ Self.dayNames[String($0)] }), range.count <= 2
            else { throw WorkingHoursError(text) }
            var day = first
            while true {
                days.insert(day)
                if day == last { break }
                day = day % 7 + 1
            }
        }
        let times = parts[1].split(separator: "-")
        guard times.count == 2, let opens = Self.minutes(times[0]), let closes = Self.minutes(times[1]), closes > opens
        else { throw WorkingHoursError(text) }
        self.init(weekdays: days, opens: opens, closes: closes, isAlways: false)
    }

    private static func minutes(_ text: Substring) -> Int? {
        let pieces = text.split(separator: ":")
        guard pieces.count == 2, let hours = Int(pieces[0]), let minutes = Int(pieces[1]), (0...24).contains(hours),
            (0..<60).contains(minutes), hours * 60 + minutes <= 1440
        else { return nil }
        return hours * 60 + minutes
    }

    public var description: String {
        if isAlways { return "always" }
        let names = ["", "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let days = weekdays.sorted { ($0 + 5) % 7 < ($1 + 5) % 7 }.map { names[$0] }.joined(separator: ",")
        return
            "\(days) \(String(format: "%02d:%02d", opens / 60, opens % 60))-\(String(format: "%02d:%02d", closes / 60, closes % 60))"
    }

    /// True when `date` falls inside the window in `timeZone`.
    public func isOpen(at date: Date, in timeZone: TimeZone) -> Bool {
        if isAlways { return true }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        return weekdays.contains(parts.weekday ?? 0) && minute >= opens && minute < closes
    }

    /// The first instant at or after `date` inside the window in `timeZone`.
    public func nextOpening(atOrAfter date: Date, in timeZone: TimeZone) -> Date {
        if isOpen(at: date, in: timeZone) { return date }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let startOfDay = calendar.startOfDay(for: date)
        for offset in 0...8 {
            guard let day = calendar.date(byAdding: .day, value: offset, to: startOfDay),
                weekdays.contains(calendar.component(.weekday, from: day)),
                let opening = calendar.date(byAdding: .minute, value: opens, to: day)
            else { continue }
            if opening >= date { return opening }
        }
        return date
    }
}

/// Working hours that could not be parsed.
public struct WorkingHoursError: Error, Sendable, CustomStringConvertible {
    public let text: String
    init(_ text: String) { self.text = text }
    public var description: String {
        "working hours \"\(text)\" must be always or DAYS HH:MM-HH:MM, e.g. 'Mon-Fri 08:30-17:00'"
    }
}
