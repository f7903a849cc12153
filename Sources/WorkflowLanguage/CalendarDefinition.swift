internal import CivilCalendar
public import Foundation
internal import Yams

/// A business calendar as its file declares it: the days of the week people work, the holidays
/// they do not, and the time zone both are read in. Workflows count `business days` in one
/// (`calendar: NAME`); `podium calendar load` stores it.
///
/// Holidays are kept in date order and weekdays ascending, so two files that say the same thing
/// have the same canonical form and the same ``checksum``.
public struct CalendarDefinition: Codable, Sendable, Equatable {
    /// A day off, by local date.
    public struct Holiday: Codable, Sendable, Equatable {
        /// `YYYY-MM-DD`, a date in the calendar's zone.
        public let date: String
        /// What the day is, e.g. `Christmas Day`.
        public let name: String

        public init(date: String, name: String) {
            self.date = date
            self.name = name
        }
    }

    /// The kebab-case name workflows use, e.g. `uk-office`.
    public var name: String
    /// A one-line title.
    public var title: String
    /// The IANA time zone days are read in, e.g. `Europe/London`.
    public var zone: String
    /// The working weekdays, 1 = Sunday ... 7 = Saturday, ascending.
    public var workingDays: [Int]
    /// The holidays, in date order.
    public var holidays: [Holiday]

    /// A calendar; `workingDays` and `holidays` are kept sorted.
    public init(name: String, title: String, zone: String, workingDays: [Int], holidays: [Holiday]) {
        self.name = name
        self.title = title
        self.zone = zone
        self.workingDays = Array(Set(workingDays)).sorted()
        self.holidays = holidays.sorted { $0.date < $1.date }
    }

    enum CodingKeys: String, CodingKey {
        case name, title, zone, holidays
        case workingDays = "working_days"
    }

    /// Weekday names as files write them, Sunday first (index + 1 is the weekday number).
    public static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// The canonical form: sorted-key JSON.
    public func canonicalJSON() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// The SHA-256 of the canonical form, hex-encoded: this content's identity.
    public var checksum: String { Hex.sha256(canonicalJSON()) }

    /// Reads a calendar back from its canonical form.
    public static func fromCanonicalJSON(_ data: Data) throws -> CalendarDefinition {
        try JSONDecoder().decode(CalendarDefinition.self, from: data)
    }
}

/// The result of reading a calendar file.
public struct CalendarCheck: Sendable {
    /// The calendar, when the file has no errors.
    public let definition: CalendarDefinition?
    /// Every finding, in file order.
    public let diagnostics: [Diagnostic]
}

/// Reads calendar files:
///
/// ```yaml
/// name: uk-office
/// title: London office
/// zone: Europe/London
/// working_days: [mon, tue, wed, thu, fri]
/// holidays:
///   2026-12-25: Christmas Day
///   2026-12-28: Boxing Day (substitute day)
/// ```
public enum CalendarParser {
    /// Parses and checks a calendar file's text. `zoneProblem` judges the zone name (it
    /// returns what is wrong, or nil): zones are the engine's business, not the language's.
    public static func check(_ text: String, zoneProblem: (String) -> String?) -> CalendarCheck {
        let root: Node
        switch WorkflowParser.compose(
            WorkflowParser.withoutByteOrderMark(text), documents: "calendar files",
            empty: "the file is empty; a calendar needs a name and a zone")
        {
        case .problem(let problem): return CalendarCheck(definition: nil, diagnostics: [problem])
        case .tree(let node): root = node
        }
        var reader = NodeReader()
        let definition = reader.readCalendar(root, zoneProblem: zoneProblem)
        let diagnostics = reader.diagnostics.sorted()
        return CalendarCheck(
            definition: diagnostics.contains { $0.severity == .error } ? nil : definition, diagnostics: diagnostics)
    }
}

extension NodeReader {
    mutating func readCalendar(_ root: Node, zoneProblem: (String) -> String?) -> CalendarDefinition? {
        guard let top = entries(root, in: "the calendar") else { return nil }
        checkKeys(top, allowed: ["name", "title", "zone", "working_days", "holidays"], in: "the calendar")
        for required in ["name", "zone"] where !top.contains(where: { $0.key == required }) {
            error("the calendar has no \"\(required)\"", at: location(root))
        }
        let name = value(top, "name").flatMap { string($0, "name") }
        if let name, let node = value(top, "name"), !WorkflowValidator.isKebabCase(name) {
            error("name \"\(name)\" must be kebab-case, e.g. uk-office", at: location(node))
        }
        let zone = value(top, "zone").flatMap { string($0, "zone") }
        if let zone, let node = value(top, "zone"), let problem = zoneProblem(zone) {
            error("zone: \(problem)", at: location(node))
        }
        var workingDays = [2, 3, 4, 5, 6]
        if let node = value(top, "working_days"), let days = stringList(node, "working_days") {
            var numbers: [Int] = []
            for (index, day) in days.enumerated() {
                guard let number = CalendarDefinition.weekdayNames.firstIndex(of: day.lowercased()) else {
                    let at = if case .sequence(let items) = node { location(items[index]) } else { location(node) }
                    error(
                        "working_days: \"\(day)\" is not a weekday; write mon, tue, wed, thu, fri, sat or sun",
                        at: at)
                    continue
                }
                numbers.append(number + 1)
            }
            if days.isEmpty { error("working_days lists no day; a calendar needs at least one", at: location(node)) }
            workingDays = Array(Set(numbers)).sorted()
        }
        var holidays: [CalendarDefinition.Holiday] = []
        if let node = value(top, "holidays") {
            if case .sequence(let list) = node, list.isEmpty {
                // `holidays: []`: a calendar of weekends only.
            } else if let days = entries(node, in: "holidays") {
                for day in days {
                    guard let date = Self.localDate(day.key) else {
                        error(
                            "holidays: \"\(day.key)\" is not a date; write YYYY-MM-DD, e.g. 2026-12-25",
                            at: location(day.keyNode))
                        continue
                    }
                    guard let title = string(day.value, "holiday \(day.key)") else { continue }
                    if title.trimmingWhitespace().isEmpty || title.contains(where: \.isNewline) {
                        error(
                            "holiday \(day.key) needs a name on one line, e.g. Christmas Day", at: location(day.value))
                        continue
                    }
                    holidays.append(.init(date: date, name: title))
                }
            }
        }
        guard let name, let zone else { return nil }
        let title = value(top, "title").flatMap { string($0, "title") } ?? name
        return CalendarDefinition(
            name: name, title: title, zone: zone, workingDays: workingDays,
            holidays: holidays.sorted { $0.date < $1.date })
    }

    /// `YYYY-MM-DD` when `text` is a real date within four-digit years, else nil.
    static func localDate(_ text: String) -> String? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]),
            year >= 1, (1...12).contains(month), day >= 1, day <= CivilCalendar.daysIn(month: month, year: year)
        else { return nil }
        return text
    }
}
