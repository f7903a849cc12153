import Foundation

/// Colour where it helps a person at a terminal (PASS and FAIL, refusals, overdue and dead work),
/// and nowhere else: only when the stream is a terminal, `NO_COLOR` is not set (no-color.org)
/// and `TERM` is not `dumb`. Painted after text has been made visible (``Terminal``), so nothing a
/// person typed can carry an escape sequence of its own through it.
enum Colour: String {
    case red = "31"
    case green = "32"
    case yellow = "33"

    /// True when output on `descriptor` may be coloured.
    static func enabled(on descriptor: Int32) -> Bool {
        allowed(isTerminal: isatty(descriptor) == 1, environment: ProcessInfo.processInfo.environment)
    }

    /// The rule: a terminal, no `NO_COLOR` (set to anything but empty), and a `TERM` that is not `dumb`.
    static func allowed(isTerminal: Bool, environment: [String: String]) -> Bool {
        isTerminal && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }

    /// `text` in this colour when `enabled`, as it is otherwise.
    func paint(_ text: String, enabled: Bool) -> String {
        enabled ? "\u{1B}[\(rawValue)m\(text)\u{1B}[0m" : text
    }
}
