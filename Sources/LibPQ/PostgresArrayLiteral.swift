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
    static func parse(_ text: String) -> [String?]? {
        var characters = Substring(text)
        if characters.first == "[" {
            // Explicit bounds such as `[0:1]={a,b}`: skip them.
            guard let equals = characters.firstIndex(of: "=") else { return nil }
            characters = characters[characters.index(after: equals)...]
        }
        guard characters.first == "{", characters.last == "}" else { return nil }
        let body = characters.dropFirst().dropLast()
        if body.isEmpty { return [] }
        var elements: [String?] = []
        var index = body.startIndex
        while true {
            if body[index] == "\"" {
                var element = ""
                index = body.index(after: index)
                while index < body.endIndex, body[index] != "\"" {
                    if body[index] == "\\" { index = body.index(after: index) }
                    guard index < body.endIndex else { return nil }
                    element.append(body[index])
                    index = body.index(after: index)
                }
                guard index < body.endIndex else { return nil }
                index = body.index(after: index)
                elements.append(element)
            } else {
                let end = body[index...].firstIndex(of: ",") ?? body.endIndex
                let raw = body[index..<end]
                guard !raw.contains("{") else { return nil }  // multi-dimensional: unsupported
                elements.append(raw == "NULL" ? nil : String(raw))
                index = end
            }
            if index == body.endIndex { return elements }
            guard body[index] == "," else { return nil }
            index = body.index(after: index)
            guard index < body.endIndex else { return nil }
        }
    }
}
