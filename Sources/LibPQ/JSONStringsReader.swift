/// Reads the two JSON shapes a transition's read gets from PostgreSQL, without Foundation: a flat
/// object of strings (an item's data) and an array of string arrays (participants, approvals).
///
/// Foundation's decoders were the largest user-space cost of a transition in the client
/// (BENCHMARKS.md, "The client"). Any other shape, a number or a nested object say, gives nil,
/// and the caller falls back to Foundation; malformed text and repeated keys also give nil.
/// Where it reads a text, it reads it as Foundation does (`podium-fuzz` checks this).
public enum JSONStringsReader {
    /// The members of a JSON object whose values are all strings; nil for anything else.
    public static func object(_ text: String) -> [String: String]? {
        var text = text
        return text.withUTF8 { bytes in
            var reader = Reader(bytes: bytes)
            guard let object = reader.object(), reader.atEnd() else { return nil }
            return object
        }
    }

    /// The elements of a JSON array of arrays of strings; nil for anything else.
    public static func arrays(_ text: String) -> [[String]]? {
        var text = text
        return text.withUTF8 { bytes in
            var reader = Reader(bytes: bytes)
            guard let arrays = reader.array({ $0.array({ $0.string() }) }), reader.atEnd() else { return nil }
            return arrays
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func atEnd() -> Bool {
            skipWhitespace()
            return position == bytes.count
        }

        mutating func object() -> [String: String]? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var members: [String: String] = [:]
            if take(UInt8(ascii: "}")) { return members }
            repeat {
                // A key given twice is left to Foundation, whatever it makes of it.
                guard let key = string(), take(UInt8(ascii: ":")), let value = string(),
                    members.updateValue(value, forKey: key) == nil
                else { return nil }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}")) ? members : nil
        }

        mutating func array<Element>(_ element: (inout Reader) -> Element?) -> [Element]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var elements: [Element] = []
            if take(UInt8(ascii: "]")) { return elements }
            repeat {
                guard let next = element(&self) else { return nil }
                elements.append(next)
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]")) ? elements : nil
        }

        /// A JSON string. Runs without escapes are copied whole.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            var decoded: [UInt8] = []
            var runStart = position
            while position < bytes.count {
                let byte = bytes[position]
                switch byte {
                case UInt8(ascii: "\""):
                    decoded.append(contentsOf: bytes[runStart..<position])
                    position += 1
                    return String(decoding: decoded, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    decoded.append(contentsOf: bytes[runStart..<position])
                    position += 1
                    guard unescape(into: &decoded) else { return nil }
                    runStart = position
                case ..<0x20:
                    return nil
                default:
                    position += 1
                }
            }
            return nil
        }

        /// The character after a backslash, appended as UTF-8.
        private mutating func unescape(into decoded: inout [UInt8]) -> Bool {
            guard position < bytes.count else { return false }
            let escaped = bytes[position]
            position += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escaped)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                guard let scalar = unicodeEscape() else { return false }
                decoded.append(contentsOf: String(Character(scalar)).utf8)
            default: return false
            }
            return true
        }

        /// `XXXX` after `\u`, joining a surrogate pair written as two escapes.
        private mutating func unicodeEscape() -> Unicode.Scalar? {
            guard let unit = hexUnit() else { return nil }
            guard (0xD800...0xDBFF).contains(unit) else { return Unicode.Scalar(unit) }
            guard take(UInt8(ascii: "\\"), skippingWhitespace: false),
                take(UInt8(ascii: "u"), skippingWhitespace: false),
                let low = hexUnit(), (0xDC00...0xDFFF).contains(low)
            else { return nil }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
        }

        private mutating func hexUnit() -> UInt32? {
            guard position + 4 <= bytes.count else { return nil }
            var unit: UInt32 = 0
            for byte in bytes[position..<position + 4] {
                guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { return nil }
                unit = unit << 4 | UInt32(digit)
            }
            position += 4
            return unit
        }

        /// Consumes `byte` (after whitespace, unless told otherwise) when it comes next.
        private mutating func take(_ byte: UInt8, skippingWhitespace: Bool = true) -> Bool {
            if skippingWhitespace { skipWhitespace() }
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        private mutating func skipWhitespace() {
            while position < bytes.count,
                bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D || bytes[position] == 0x09
            {
                position += 1
            }
        }
    }
}
