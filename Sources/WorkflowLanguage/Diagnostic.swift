/// A place in a workflow file: 1-based line and column.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The start of the file.
    public static let start = SourceLocation(line: 1, column: 1)

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// One finding about a workflow file.
public struct Diagnostic: Sendable, Equatable, Comparable {
    public enum Severity: String, Sendable, Codable {
        case error, warning
    }

    public let severity: Severity
    public let message: String
    public let location: SourceLocation

    public init(_ severity: Severity, _ message: String, at location: SourceLocation) {
        self.severity = severity
        self.message = message
        self.location = location
    }

    /// `FILE:LINE:COL: error: message`, the form editors and CI annotate.
    public func formatted(file: String) -> String {
        "\(file):\(location.line):\(location.column): \(severity.rawValue): \(message)"
    }

    public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        (lhs.location, lhs.message) < (rhs.location, rhs.message)
    }
}

/// Suggests the closest known word for a misspelt one ("did you mean ...?").
public enum Suggestion {
    /// The candidate within a few edits of `word` (case ignored), or nil.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= min(3, max(2, word.count / 3)) && best.1 < word.count ? best.0 : nil
    }

    /// ` (did you mean "x"?)`, or nothing.
    static func hint(for word: String, in candidates: [String]) -> String {
        closest(to: word, in: candidates).map { "; did you mean \"\($0)\"?" } ?? ""
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// A diagnostic in the file it was found in, as JSON carries it: what `podium workflow validate
/// --json` prints and what the API's `POST /api/v1/workflows/validate` answers.
public struct Finding: Sendable, Codable, Equatable {
    /// The file's name, as given.
    public let file: String
    /// 1-based line and column of the diagnostic.
    public let line: Int
    public let column: Int
    /// `error` or `warning`.
    public let severity: String
    public let message: String

    public init(file: String, diagnostic: Diagnostic) {
        self.file = file
        line = diagnostic.location.line
        column = diagnostic.location.column
        severity = diagnostic.severity.rawValue
        message = diagnostic.message
    }
}
