/// Text people typed, made safe to write to a terminal: shown, never obeyed. The CLI's text
/// output and the worker's `text` channel use it; `--json` and messages' JSON stay exact.
public enum VisibleText {
    /// `text` with every character that a terminal would act on instead of show written as a
    /// visible escape: C0 controls (`\n`, `\r`, `\t`, the rest as `\u{1B}`), DEL, C1 controls,
    /// and the invisible direction marks and overrides (U+061C, U+200E, U+200F, U+202A to U+202E,
    /// U+2066 to U+2069) and line and paragraph separators (U+2028, U+2029). Line feeds are kept
    /// when `keepingNewlines`.
    public static func escaping(_ text: String, keepingNewlines: Bool) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepingNewlines) }) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar, keepingNewlines) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default: result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            }
        }
        return result
    }

    private static func needsEscape(_ scalar: Unicode.Scalar, _ keepingNewlines: Bool) -> Bool {
        switch scalar.value {
        case 0x0A: !keepingNewlines
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: true
        default: false
        }
    }
}
