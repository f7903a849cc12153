/// A length of time written as `30s`, `15m`, `4h`, `2d`, `1w` or a combination such as `1d12h`.
///
/// Parsed once and kept as whole seconds; ``description`` writes the canonical form back
/// (largest units first: `36h` becomes `1d12h`).
public struct WorkflowDuration: Hashable, Sendable, Comparable, WrittenAsText {
    /// The length in seconds.
    public let seconds: Int64

    /// A duration of `seconds` seconds.
    public init(seconds: Int64) {
        self.seconds = seconds
    }

    private static let units: [(symbol: Character, seconds: Int64)] = [
        ("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1),
    ]

    /// The longest duration a workflow may use: 10 years.
    public static let maximum = WorkflowDuration(seconds: 10 * 365 * 86_400)

    /// Parses `1d12h`-style text. Units must come largest first, each at most once.
    ///
    /// - Throws: ``DurationError`` explaining what is wrong and what would work.
    public init(parsing text: String) throws(DurationError) {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else {
            throw DurationError("an empty duration; write e.g. 30s, 15m, 4h, 2d, 1w or 1d12h")
        }
        var total: Int64 = 0
        var digits = ""
        var lastUnitIndex = -1
        for character in trimmed {
            if character.isASCII, character.isNumber {
                digits.append(character)
                guard digits.count <= 9 else { throw DurationError("\"\(text)\" has a number that is too large") }
                continue
            }
            guard let unitIndex = Self.units.firstIndex(where: { $0.symbol == character }) else {
                throw DurationError(
                    "\"\(text)\" is not a duration: \"\(character)\" is not a unit (use s, m, h, d or w, e.g. 1d12h)")
            }
            guard !digits.isEmpty, let amount = Int64(digits) else {
                throw DurationError("\"\(text)\" is not a duration: a number must come before \"\(character)\"")
            }
            guard unitIndex > lastUnitIndex else {
                throw DurationError("\"\(text)\" is not a duration: write units largest first, each once (e.g. 1d12h)")
            }
            lastUnitIndex = unitIndex
            total += amount * Self.units[unitIndex].seconds
            digits = ""
            guard total <= Self.maximum.seconds else {
                throw DurationError("\"\(text)\" is longer than the 10 years a workflow may wait")
            }
        }
        guard digits.isEmpty else {
            throw DurationError("\"\(text)\" needs a unit after \(digits) (s, m, h, d or w), e.g. \(digits)h")
        }
        guard total > 0 else { throw DurationError("\"\(text)\" is zero; a duration must be positive") }
        self.seconds = total
    }

    /// The canonical text: largest units first, zero parts left out.
    public var description: String {
        guard seconds > 0 else { return "0s" }
        var rest = seconds
        var text = ""
        for unit in Self.units where rest >= unit.seconds {
            text += "\(rest / unit.seconds)\(unit.symbol)"
            rest %= unit.seconds
        }
        return text
    }

    public static func < (lhs: WorkflowDuration, rhs: WorkflowDuration) -> Bool { lhs.seconds < rhs.seconds }

    public static func + (lhs: WorkflowDuration, rhs: WorkflowDuration) -> WorkflowDuration {
        WorkflowDuration(seconds: lhs.seconds + rhs.seconds)
    }
}

/// How far a due time lies from what it hangs on: a length of time, or a count of business days
/// in the workflow's calendar (`2 business days`).
///
/// Business days are not 24-hour periods: "1 business day" after Friday 15:00 is Monday 15:00,
/// and a holiday in between moves it to Tuesday (see `BusinessCalendar` in WorkflowEngine).
public enum DueSpan: Hashable, Sendable, WrittenAsText {
    /// A fixed length of time.
    case elapsed(WorkflowDuration)
    /// A number of working days, 1 ... ``maximumBusinessDays``, in the workflow's calendar.
    case businessDays(Int)

    /// The most business days a due rule may count: about four working years.
    public static let maximumBusinessDays = 1_000

    /// Parses `2 business days`, `1 business day` or a duration such as `1d12h`.
    ///
    /// - Throws: ``DurationError`` saying what is wrong and what would work.
    public init(parsing text: String) throws(DurationError) {
        let words = text.trimmingWhitespace().split(separator: " ", omittingEmptySubsequences: true)
        guard words.count > 1 else {
            self = .elapsed(try WorkflowDuration(parsing: text))
            return
        }
        guard words.count == 3, words[1] == "business", ["day", "days", "hour", "hours"].contains(words[2]) else {
            throw DurationError(
                "\"\(text)\" is not a duration: write e.g. 2d, 1d12h or 2 business days")
        }
        guard words[2].hasPrefix("day") else {
            throw DurationError(
                "\"\(text)\": Podium counts business days, not business hours; write e.g. 1 business day or 8h")
        }
        guard words[0].allSatisfy({ $0.isASCII && $0.isNumber }), words[0].count <= 4, let days = Int(words[0]),
            days >= 1
        else {
            throw DurationError("\"\(text)\" needs a whole number of business days, at least 1 (e.g. 2 business days)")
        }
        guard days <= Self.maximumBusinessDays else {
            throw DurationError(
                "\"\(text)\" is more than the \(Self.maximumBusinessDays) business days a workflow may count")
        }
        self = .businessDays(days)
    }

    /// `2d`-style text for a length of time, `2 business days` for business days.
    public var description: String {
        switch self {
        case .elapsed(let duration): duration.description
        case .businessDays(let days): days == 1 ? "1 business day" : "\(days) business days"
        }
    }

    /// The length of time, or nil when the span counts business days.
    public var elapsed: WorkflowDuration? {
        if case .elapsed(let duration) = self { duration } else { nil }
    }
}

/// A value workflow files write as text, stored in the canonical form as its ``description``
/// and read back with ``init(parsing:)``.
public protocol WrittenAsText: Codable, CustomStringConvertible {
    /// Reads the value from the text a file holds.
    init(parsing text: String) throws(DurationError)
}

extension WrittenAsText {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why a duration could not be parsed.
public struct DurationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and what would work.
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while scalars.first?.isWhitespace == true { scalars.removeFirst() }
        while scalars.last?.isWhitespace == true { scalars.removeLast() }
        return String(scalars)
    }
}
