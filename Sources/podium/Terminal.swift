import Foundation

/// Where output goes: results to stdout, everything else to stderr.
enum Terminal {
    /// Prints a result line on stdout.
    static func output(_ line: String, terminator: String = "\n") {
        print(line, terminator: terminator)
    }

    /// Prints a diagnostic on stderr, prefixed with `podium: `.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("podium: \(message)\n".utf8))
    }

    /// Prints a note on stderr as it is.
    static func note(_ line: String) {
        FileHandle.standardError.write(Data("\(line)\n".utf8))
    }
}
