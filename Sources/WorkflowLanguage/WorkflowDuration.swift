/// A length of time written as `30s`, `15m`, `4h`, `2d`, `1w` or a combination such as `1d12h`.
///
/// Parsed once and kept as whole seconds; ``description`` writes the canonical form back
/// (largest units first: `36h` becomes `1d12h`).
public struct WorkflowDuration: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
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
