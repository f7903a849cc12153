/// Reads and writes one-dimensional PostgreSQL array literals such as `{a,"b c",NULL}`.
enum PostgresArrayLiteral {
    /// Writes every element double-quoted, escaping `"` and `\`.
    static func format(_ elements: [String]) -> String {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(elements.reduce(2) { $0 + $1.utf8.count + 3 })
        for (position, element) in elements.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(quote)
            for byte in element.utf8 {
                if byte == quote || byte == backslash { bytes.append(backslash) }
                bytes.append(byte)
            }
            bytes.append(quote)
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses a one-dimensional array; `nil` elements are SQL NULLs. Returns `nil` when malformed.
    ///
    /// Reads UTF-8 bytes: the literal's punctuation is ASCII, which never occurs inside a
    /// multi-byte character. (Reading `Character`s, with a `contains` that went through
    /// Foundation, was 6% of the worker's CPU.)
    static func parse(_ text: String) -> [String?]? {
        var text = text
        return text.withUTF8 { parse(bytes: $0[...]) }
    }

    private static func parse(bytes: Slice<UnsafeBufferPointer<UInt8>>) -> [String?]? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), comma = UInt8(ascii: ",")
        var literal = bytes
        if literal.first == UInt8(ascii: "[") {
            // Explicit bounds such as `[0:1]={a,b}`: skip them.
            guard let equals = literal.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            literal = literal[(equals + 1)...]
        }
        guard literal.count >= 2, literal.first == UInt8(ascii: "{"), literal.last == UInt8(ascii: "}") else {
            return nil
        }
        let body = literal.dropFirst().dropLast()
        if body.isEmpty { return [] }
        var elements: [String?] = []
        var index = body.startIndex
        while true {
            if body[index] == quote {
                var element: [UInt8] = []
                index += 1
                while index < body.endIndex, body[index] != quote {
                    if body[index] == backslash { index += 1 }
                    guard index < body.endIndex else { return nil }
                    element.append(body[index])
                    index += 1
                }
                guard index < body.endIndex else { return nil }
                index += 1
                elements.append(String(decoding: element, as: UTF8.self))
            } else {
                let end = body[index...].firstIndex(of: comma) ?? body.endIndex
                let raw = body[index..<end]
                guard !raw.contains(UInt8(ascii: "{")) else { return nil }  // multi-dimensional: unsupported
                elements.append(raw.elementsEqual("NULL".utf8) ? nil : String(decoding: raw, as: UTF8.self))
                index = end
            }
            if index == body.endIndex { return elements }
            guard body[index] == comma else { return nil }
            index += 1
            guard index < body.endIndex else { return nil }
        }
    }
}
