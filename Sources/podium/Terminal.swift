import Foundation
import PodiumCore

/// Where output goes: results to stdout, everything else to stderr.
///
/// Text people typed (titles, comments, data, names, reasons) is shown, never obeyed: every line
/// written for people passes through ``visible(_:keepingNewlines:)``, so a comment holding
/// ESC `[1A` ESC `[2K` cannot rewrite the line above it, ring the bell, open an OSC 8 link or turn
/// text around with a bidi override. JSON (``json(_:)``) is written exactly: its encoder escapes
/// what JSON requires, and readers of `--json` get every character as stored.
enum Terminal {
    /// Prints a result line on stdout, control characters made visible.
    static func output(_ line: String, terminator: String = "\n") {
        print(visible(line, keepingNewlines: true), terminator: terminator)
    }

    /// Prints a result line on stdout that starts with `label` in `colour` (on a terminal only),
    /// the rest made visible like ``output(_:terminator:)``.
    static func output(_ label: String, in colour: Colour, _ rest: String) {
        let painted = colour.paint(label, enabled: Colour.enabled(on: STDOUT_FILENO))
        print(painted + visible(rest, keepingNewlines: true))
    }

    /// Prints JSON on stdout exactly as encoded.
    static func json(_ text: String) {
        print(text)
    }

    /// Prints a diagnostic on stderr, prefixed with `podium: `, control characters made visible.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("podium: \(visible(message, keepingNewlines: true))\n".utf8))
    }

    /// Prints a refusal or failure on stderr: its message on one line and its hint on the next,
    /// each with line breaks escaped, since messages quote what people typed (an item id given
    /// as `nope\nitem 27: listen -> draft` must not print a fake success line).
    ///
    /// With `--json` the error is one JSON object instead, for programs:
    /// `{"error": {"code": "refused.own_work", "exit_code": 4, "hint": ..., "message": ...}}`.
    static func error(_ error: PodiumError) {
        if CommandLine.arguments.contains("--json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let body = JSONError.Body(
                code: error.code, message: error.message, hint: Hints.hint(for: error), exitCode: error.kind.exitCode)
            guard var line = try? encoder.encode(JSONError(error: body)) else { return }
            line.append(0x0A)
            FileHandle.standardError.write(line)
            return
        }
        var text =
            Colour.red.paint("podium:", enabled: Colour.enabled(on: STDERR_FILENO)) + " \(field(error.message))\n"
        if let hint = Hints.hint(for: error) { text += "  hint: \(field(hint))\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// What `--json` prints for an error.
    private struct JSONError: Encodable {
        struct Body: Encodable {
            let code: String
            let message: String
            let hint: String?
            let exitCode: Int32

            enum CodingKeys: String, CodingKey {
                case code, message, hint
                case exitCode = "exit_code"
            }
        }
        let error: Body
    }

    /// Prints a note on stderr, control characters made visible.
    static func note(_ line: String) {
        FileHandle.standardError.write(Data("\(visible(line, keepingNewlines: true))\n".utf8))
    }

    /// One field of a line (a title, a comment in a table): like ``visible(_:keepingNewlines:)``,
    /// and its line breaks shown as `\n` too, so a field cannot start a line of its own.
    static func field(_ text: String) -> String {
        visible(text, keepingNewlines: false)
    }

    /// `text` cut to at most `limit` characters at a word boundary, with an ellipsis when
    /// anything was cut (`So our roadmap…`, never `So our roa`). A single word longer than the
    /// limit is cut inside it.
    static func shortened(_ text: String, to limit: Int) -> String {
        guard text.count > limit, limit > 1 else { return text }
        let room = text.prefix(limit - 1)
        var cut = room.lastIndex(where: \.isWhitespace).map { room[..<$0] } ?? room
        if cut.count < (limit - 1) / 2 { cut = room }  // one long word: cut inside it
        while let last = cut.last, last.isWhitespace || ",;:.-".contains(last) { cut = cut.dropLast() }
        return cut + "…"
    }

    /// `text` with what a terminal would obey shown as visible escapes (``VisibleText``).
    static func visible(_ text: String, keepingNewlines: Bool) -> String {
        VisibleText.escaping(text, keepingNewlines: keepingNewlines)
    }
}
