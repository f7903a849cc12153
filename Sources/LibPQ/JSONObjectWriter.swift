public import Foundation

/// Writes one flat JSON object, keys in the order they are added, as `JSONEncoder` would write
/// it but directly: `JSONEncoder` was the largest cost of writing a reminder, and 5% of the
/// client's CPU in a transition (BENCHMARKS.md).
public struct JSONObjectWriter {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    /// An empty object.
    public init() { bytes.reserveCapacity(512) }

    /// Adds a string member.
    public mutating func add(_ key: String, _ value: String) {
        addKey(key)
        appendString(value)
    }

    /// Adds an integer member.
    public mutating func add(_ key: String, _ value: Int) {
        addKey(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// The object's bytes, closed.
    public func finished() -> Data { Data(bytes + [UInt8(ascii: "}")]) }

    /// The object's text, closed.
    public func finishedText() -> String { String(decoding: bytes + [UInt8(ascii: "}")], as: UTF8.self) }

    private mutating func addKey(_ key: String) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        appendString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends `text` as a JSON string. Runs of bytes that need no escape are copied whole: the
    /// stage guidance makes up most of a message, and byte-by-byte appends were a tenth of the
    /// worker's CPU.
    private mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            for (index, byte) in utf8.enumerated()
            where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: utf8[runStart..<index])
                appendEscaped(byte)
                runStart = index + 1
            }
            bytes.append(contentsOf: utf8[runStart...])
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
        case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
        case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
        case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
        case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: #"\u00"#.utf8)
            bytes.append(hex[Int(byte >> 4)])
            bytes.append(hex[Int(byte & 0x0f)])
        }
    }
}
