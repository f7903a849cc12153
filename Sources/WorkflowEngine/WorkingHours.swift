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
        // Every piece spelled out: `Mon-`, `,Mon` and `Mon,,Fri` are mistakes, not `Mon`.
        for piece in parts[0].lowercased().split(separator: ",", omittingEmptySubsequences: false) {
            let range = piece.split(separator: "-", omittingEmptySubsequences: false)
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

    /// `HH:MM` exactly, two ASCII digits each (`9:00`, `+9:00` and `0009:00` are refused), up to
    /// `24:00`.
    private static func minutes(_ text: Substring) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count == 5, bytes[2] == UInt8(ascii: ":"),
            bytes.enumerated().allSatisfy({ $0.offset == 2 || (0x30...0x39).contains($0.element) }),
            let hours = Int(String(decoding: bytes[0..<2], as: UTF8.self)),
            let minutes = Int(String(decoding: bytes[3..<5], as: UTF8.self)), minutes < 60, hours * 60 + minutes <= 1440
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

    /// True when `date` falls inside the window on the clock of `timeZone`: the local weekday is
    /// a working day and the local time is at or after the opening, before the closing.
    public func isOpen(at date: Date, in timeZone: TimeZone) -> Bool {
        isAlways || isOpen(WallClock(timeZone).localTime(at: date))
    }

    /// `date` when the window is open then; otherwise the first instant strictly after `date` at
    /// which it opens on the clock of `timeZone`.
    ///
    /// Worked out on the wall clock, not as "local midnight plus the opening's minutes": on the
    /// day the offset changes the window opens when the clock shows the opening time (the first
    /// time it does, when the clocks go back), when the clocks jump over it (going forward), or
    /// when a jump lands the clock inside the window. A day whose window the clocks skip
    /// entirely is not a working day. Checked against a year of tzdata in
    /// `Tests/WorkflowEngineTests/Oracle`.
    public func nextOpening(atOrAfter date: Date, in timeZone: TimeZone) -> Date {
        let clock = WallClock(timeZone)
        let now = clock.localTime(at: date)
        if isAlways || isOpen(now) { return date }
        let today = now.day
        var best: Date?
        // A week ahead finds the next working day; a second week covers a working day whose
        // window the clocks skip.
        for day in (today - 1)...(today + 15) {
            // Local days span at most ±14 h (and ±1 h of jumps) of UTC around their midnight.
            let earliest = Date(timeIntervalSince1970: TimeInterval(day * 86_400 - 16 * 3_600))
            if let best, earliest > best { break }
            let latest = Date(timeIntervalSince1970: TimeInterval((day + 1) * 86_400 + 16 * 3_600))
            let opening = WallClock.LocalTime(day: day, second: opens * 60)
            var candidates = clock.instants(of: opening)
            if candidates.isEmpty { candidates.append(clock.firstInstant(atOrAfter: opening)) }
            candidates += clock.offsetChanges(in: earliest...latest)
            for candidate in candidates where candidate > date && isOpen(clock.localTime(at: candidate)) {
                best = min(best ?? candidate, candidate)
            }
        }
        // Unreachable for parsed hours (a working day every week, a window of at least a
        // minute); still strictly later, so a worker holding a task until then moves on.
        return best ?? date.addingTimeInterval(86_400)
    }

    private func isOpen(_ time: WallClock.LocalTime) -> Bool {
        weekdays.contains(time.weekday) && time.second >= opens * 60 && time.second < closes * 60
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
