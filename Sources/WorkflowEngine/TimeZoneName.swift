public import Foundation
internal import WorkflowLanguage

/// A person's time zone, named the one way that cannot be misread: an identifier of the tz
/// database (`Area/City`, such as `Europe/London`), or `UTC`.
///
/// Abbreviations are refused because they are ambiguous and Foundation guesses: `BST` is
/// British Summer Time to a Londoner and was read as Bangladesh (UTC+6), so a British
/// executive's reminders came at 04:00. `IST` is India, Ireland or Israel. Fixed offsets
/// (`GMT+5`, `UTC+3`) ignore daylight saving time. Each refusal suggests a name when one is
/// likely.
public enum TimeZoneName {
    /// The areas of the tz database's `Area/City` names.
    static let areas: Set<Substring> = [
        "Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific",
    ]

    /// The zone `name` identifies.
    ///
    /// - Throws: ``TimeZoneNameError`` for anything but a tz database `Area/City` identifier or
    ///   `UTC`, with a suggestion where one is likely.
    public static func zone(_ name: String) throws(TimeZoneNameError) -> TimeZone {
        if name == "UTC" || name == "Etc/UTC" { return TimeZone(identifier: "UTC") ?? .gmt }
        // Foundation knows every current name (and links such as Asia/Calcutta) and matches
        // them exactly; only bare abbreviations and offsets does it guess at.
        if let area = name.split(separator: "/").first, areas.contains(area), name.contains("/"),
            let zone = TimeZone(identifier: name), zone.identifier == name
        {
            return zone
        }
        throw TimeZoneNameError(name: name, suggestion: suggestion(for: name))
    }

    private static let known = Set(TimeZone.knownTimeZoneIdentifiers)

    /// Common abbreviations and legacy names, and the zone people usually mean by them.
    private static let usualMeaning: [String: String] = [
        "BST": "Europe/London", "GMT": "Europe/London", "WET": "Europe/Lisbon", "WEST": "Europe/Lisbon",
        "CET": "Europe/Paris", "CEST": "Europe/Paris", "MET": "Europe/Paris", "EET": "Europe/Athens",
        "EEST": "Europe/Athens", "MSK": "Europe/Moscow", "IST": "Asia/Kolkata", "PKT": "Asia/Karachi",
        "NPT": "Asia/Kathmandu", "ICT": "Asia/Bangkok", "WIB": "Asia/Jakarta", "SGT": "Asia/Singapore",
        "HKT": "Asia/Hong_Kong", "PHT": "Asia/Manila", "JST": "Asia/Tokyo", "KST": "Asia/Seoul",
        "AWST": "Australia/Perth", "ACST": "Australia/Adelaide", "ACDT": "Australia/Adelaide",
        "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney", "NZST": "Pacific/Auckland",
        "NZDT": "Pacific/Auckland", "HST": "Pacific/Honolulu", "AKST": "America/Anchorage",
        "AKDT": "America/Anchorage", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
        "PT": "America/Los_Angeles", "MST": "America/Denver", "MDT": "America/Denver", "MT": "America/Denver",
        "CST": "America/Chicago", "CDT": "America/Chicago", "CT": "America/Chicago", "EST": "America/New_York",
        "EDT": "America/New_York", "ET": "America/New_York", "AST": "America/Halifax", "ADT": "America/Halifax",
        "NST": "America/St_Johns", "NDT": "America/St_Johns", "BRT": "America/Sao_Paulo",
        "ART": "America/Argentina/Buenos_Aires", "SAST": "Africa/Johannesburg", "CAT": "Africa/Maputo",
        "WAT": "Africa/Lagos", "EAT": "Africa/Nairobi", "Z": "UTC", "ZULU": "UTC", "UCT": "UTC", "UTC": "UTC",
        "US/EASTERN": "America/New_York", "US/CENTRAL": "America/Chicago", "US/MOUNTAIN": "America/Denver",
        "US/PACIFIC": "America/Los_Angeles", "US/ALASKA": "America/Anchorage", "US/HAWAII": "Pacific/Honolulu",
        "ETC/GMT": "UTC", "ETC/UCT": "UTC", "GB": "Europe/London", "ASIA/CALCUTTA": "Asia/Kolkata",
    ]

    private static func suggestion(for name: String) -> String? {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if let usual = usualMeaning[trimmed.uppercased()] { return usual }
        if isFixedOffset(trimmed) { return nil }
        let spelled = trimmed.replacingOccurrences(of: " ", with: "_").lowercased()
        let candidates = known.filter { $0.split(separator: "/").first.map { areas.contains($0) } == true }
        if let same = candidates.first(where: { $0.lowercased() == spelled }) { return same }
        // A city alone: `London`, `new york`.
        let cities = candidates.filter { $0.lowercased().hasSuffix("/" + spelled) }
        if cities.count == 1 { return cities.first }
        // A typo: the closest name within a few edits.
        return Suggestion.closest(to: trimmed, in: candidates.sorted())
    }

    /// `GMT+5`, `UTC-03:30`, `+02:00`, `Etc/GMT-3`: an offset, not a place.
    static func isFixedOffset(_ name: String) -> Bool {
        let upper = name.uppercased()
        let rest = ["ETC/GMT", "GMT", "UTC", ""].first { upper.hasPrefix($0) }.map { upper.dropFirst($0.count) } ?? ""
        guard let sign = rest.first, sign == "+" || sign == "-" || sign == "\u{2212}" else { return false }
        let digits = rest.dropFirst()
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ":") }
    }
}

/// A time zone given by anything but its tz database name.
public struct TimeZoneNameError: Error, Sendable, CustomStringConvertible {
    /// What was given.
    public let name: String
    /// The tz database name the person probably meant, if one is likely.
    public let suggestion: String?

    /// Why `name` is refused, in one sentence.
    public var message: String {
        if TimeZoneName.isFixedOffset(name.trimmingCharacters(in: .whitespaces)) {
            return
                "time zone \"\(name)\" is a fixed offset, which ignores daylight saving time; name the place instead"
        }
        return "time zone \"\(name)\" is not a tz database name (Area/City, or UTC)"
    }

    /// What to type instead.
    public var hint: String {
        if let suggestion { return "did you mean \(suggestion)?" }
        return "use the Area/City name of the person's place, such as Europe/London, America/New_York or Asia/Kolkata"
    }

    public var description: String { "\(message); \(hint)" }
}
