internal import Foundation

/// Limits on what people may type, with errors that say what would work. Lengths are counted in
/// Unicode code points, as the database's `length()` and its check constraints count them.
public enum InputLimits {
    public static let titleLength = 500
    public static let commentLength = 10_000
    public static let dataValueLength = 10_000
    public static let dataFields = 100
    public static let participants = 50

    /// Parses `KEY=VALUE` (`--set`, `--participant`): the key is snake_case; the value is kept verbatim.
    public static func pair(_ text: String, what: String) throws(PodiumError) -> (key: String, value: String) {
        guard let equals = text.firstIndex(of: "=") else {
            throw PodiumError(
                .usage, "\(what) \"\(text)\" is not KEY=VALUE", hint: "e.g. --set publish_at=2026-03-10T09:00:00Z")
        }
        let key = String(text[..<equals])
        let value = String(text[text.index(after: equals)...])
        guard isName(key) else {
            throw PodiumError(.usage, "\(what) key \"\(key)\" must be snake_case (a-z, 0-9, _), starting with a letter")
        }
        guard value.unicodeScalars.count <= dataValueLength else {
            throw PodiumError(
                .usage,
                "\(what) \(key) is \(value.unicodeScalars.count) characters (Unicode code points); the limit is \(dataValueLength)"
            )
        }
        guard !value.unicodeScalars.contains("\0") else {
            throw PodiumError(.usage, "\(what) \(key) contains a NUL character")
        }
        return (key, value)
    }

    /// Parses many `KEY=VALUE` pairs into a dictionary; a key given twice is an error.
    public static func fields(_ texts: [String], what: String) throws(PodiumError) -> [String: String] {
        guard texts.count <= dataFields else {
            throw PodiumError(.usage, "\(texts.count) \(what) values; the limit is \(dataFields)")
        }
        var result: [String: String] = [:]
        for text in texts {
            let (key, value) = try pair(text, what: what)
            guard result[key] == nil else { throw PodiumError(.usage, "\(what) \(key) is given twice") }
            result[key] = value
        }
        return result
    }

    /// Checks free text (titles, comments) against a length limit.
    public static func text(_ text: String, what: String, limit: Int) throws(PodiumError) -> String {
        // Unicode white space, as Foundation's `.whitespacesAndNewlines`, without bridging
        // through NSString (2% of a transition's client CPU when it carried a comment).
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
            let last = text.lastIndex(where: { !$0.isWhitespace })
        else { throw PodiumError(.usage, "the \(what) is empty", reason: "empty") }
        let trimmed = String(text[first...last])
        // Counted as PostgreSQL's length() counts, in code points: a Hindi title of 430 visible
        // characters is about 700 code points, and counting what people see let it reach the
        // table's check constraint.
        let length = trimmed.unicodeScalars.count
        guard length <= limit else {
            throw PodiumError(
                .usage, "the \(what) is \(length) characters (Unicode code points); the limit is \(limit)",
                reason: "too_long")
        }
        guard !trimmed.unicodeScalars.contains("\0") else {
            throw PodiumError(.usage, "the \(what) contains a NUL character")
        }
        return trimmed
    }

    /// snake_case: a-z first, then a-z, 0-9, _; at most 63 characters.
    public static func isName(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, first.isLowercase, text.count <= 63 else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }
    }
}
