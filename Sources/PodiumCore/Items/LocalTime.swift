public import Foundation
import WorkflowEngine

/// Times as a person reads them: in their own zone, with the zone's abbreviation, and how far
/// from now ("Thu 5 Mar, 14:00 EST, in 2 days").
public struct LocalTime: Sendable {
    public let zone: TimeZone
    /// The moment the text is read at: what "in 2 days" counts from.
    public let now: Date

    /// Times for someone in the zone named `identifier` (UTC when it is not a zone), read at `now`.
    public init(zone identifier: String, now: Date) {
        self.init(zone: TimeZone(identifier: identifier) ?? TimeZone(secondsFromGMT: 0)!, now: now)
    }

    /// Times for someone in `zone`, read at `now`.
    public init(zone: TimeZone, now: Date) {
        self.zone = zone
        self.now = now
    }

    /// `2026-03-10 10:00 GMT+1`: the wall clock in the proleptic Gregorian calendar (the RFC 3339
    /// writer shifted by the zone's offset at that instant) and the zone, for tables and logs.
    public func stamp(_ date: Date) -> String {
        let iso = DataDate.format(date.addingTimeInterval(TimeInterval(zone.secondsFromGMT(for: date))))
        return iso.prefix(10) + " " + iso.dropFirst(11).prefix(5) + " " + abbreviation(at: date)
    }

    /// The zone's short name at `date`: `EST`, `GMT+1`; `UTC` for UTC (Foundation says GMT).
    public func abbreviation(at date: Date) -> String {
        ["UTC", "GMT", "Etc/UTC", "Etc/GMT"].contains(zone.identifier)
            ? "UTC" : Self.formatter("zzz", in: zone).string(from: date)
    }

    /// The instant as people say it, on their wall clock with the zone: "Thu 14:00 EST" within
    /// the coming week, "Wed 2 Dec, 16:30 EST" otherwise in this year, with the year beyond.
    public func instant(_ date: Date) -> String {
        // Foundation's calendar turns Julian before 1582; such dates are written as typed, by
        // the RFC 3339 writer on the proleptic Gregorian calendar, shifted to the wall clock.
        if date < Self.gregorianReform { return stamp(date) }
        let ahead = date.timeIntervalSince(now)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let pattern: String
        if ahead >= 0, ahead < 6 * 86_400 {
            pattern = "EEE HH:mm"
        } else if calendar.component(.year, from: date) == calendar.component(.year, from: now) {
            pattern = "EEE d MMM, HH:mm"
        } else {
            pattern = "EEE d MMM yyyy, HH:mm"
        }
        return Self.formatter(pattern, in: zone).string(from: date) + " " + abbreviation(at: date)
    }

    /// 1583-01-01T00:00:00Z: from here on Foundation's Gregorian calendar is the proleptic one.
    public static let gregorianReform = Date(timeIntervalSince1970: -12_212_553_600)

    /// A Gregorian, English formatter of `pattern` on the wall clock of `zone`.
    public static func formatter(_ pattern: String, in zone: TimeZone) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = zone
        formatter.dateFormat = pattern
        return formatter
    }

    /// "due Thu 5 Mar 2026, 14:00 EST, in 2 days" or "overdue by 3 hours (due ...)".
    public func due(_ date: Date) -> String {
        date < now
            ? "overdue by \(Self.span(now.timeIntervalSince(date))) (due \(instant(date)))"
            : "due \(instant(date)), in \(Self.span(date.timeIntervalSince(now)))"
    }

    /// "3 hours ago", "in 2 days".
    public func relative(_ date: Date) -> String {
        date <= now ? "\(Self.span(now.timeIntervalSince(date))) ago" : "in \(Self.span(date.timeIntervalSince(now)))"
    }

    /// The largest whole unit of a length of time, in words: "2 days", "1 hour", "5 minutes".
    public static func span(_ seconds: TimeInterval) -> String {
        let units: [(String, Double)] = [("week", 604_800), ("day", 86_400), ("hour", 3_600), ("minute", 60)]
        for (name, size) in units where seconds >= size {
            let count = Int(seconds / size)
            return "\(count) \(name)\(count == 1 ? "" : "s")"
        }
        return "less than a minute"
    }

    /// The zone as people name it: `America/New_York (EST)`.
    public var name: String {
        "\(zone.identifier) (\(abbreviation(at: now)))"
    }
}
