import Foundation
import LibPQ
import Testing

@Suite("Reading and writing flat JSON without Foundation")
struct JSONStringsReaderTests {
    /// Text that needs every kind of escape, and text beyond ASCII.
    static let awkward = [
        "", "plain", "a \"quoted\" word", #"back\slash"#, "slash/es", "tab\there", "new\nline", "bell \u{07}",
        "\u{1F} unit separator", "Zoë", "👩‍💼 exec", "\u{10FFFF}", "\u{7F} delete",
    ]

    @Test func objectsReadAsFoundationReadsThem() throws {
        var fields: [String: String] = [:]
        for (position, text) in Self.awkward.enumerated() { fields["key \(position) \(text)"] = text }
        // As PostgreSQL prints jsonb (a space after ':' and ','), as JSONEncoder writes it, and
        // as the direct writer writes it.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let texts = [
            String(decoding: try encoder.encode(fields), as: UTF8.self),
            try PostgresJSON(fields).postgresText(),
            "{"
                + (try fields.sorted { $0.key < $1.key }.map { "\(try quoted($0.key)): \(try quoted($0.value))" })
                .joined(separator: ", ") + "}",
        ]
        for text in texts {
            #expect(JSONStringsReader.object(text) == fields)
        }
        #expect(JSONStringsReader.object(" { } ") == [:])
    }

    @Test func escapesIncludingSurrogatePairs() {
        #expect(
            JSONStringsReader.object(#"{"k": "\u00e9\ud83d\ude00\/\b\f\r\n\t\"\\"}"#) == [
                "k": "é😀/\u{08}\u{0C}\r\n\t\"\\"
            ])
        #expect(
            JSONStringsReader.arrays(#"[["coach", "bob"], ["executive", "al\u0069ce"]]"#) == [
                ["coach", "bob"], ["executive", "alice"],
            ])
        #expect(JSONStringsReader.arrays("[]") == [])
        #expect(JSONStringsReader.arrays("[[]]") == [[]])
    }

    @Test func anythingElseIsLeftToFoundation() {
        let refused = [
            "", "{", "}", #"{"a": 1}"#, #"{"a": null}"#, #"{"a": {"b": "c"}}"#, #"{"a": "b",}"#, #"{"a": "b"} x"#,
            #"{"a" "b"}"#, #"{"a": "b"#, #"{"a": "\x"}"#, #"{"a": "\u12"}"#, #"{"a": "\ud800"}"#,
            #"{"a": "\udc00"}"#, "{\"a\": \"raw\ncontrol\"}", #"["a"]"#, #"[["a"], "b"]"#, #"[["a",]]"#,
            #"{"a": "b", "a": "c"}"#,
        ]
        for text in refused {
            #expect(JSONStringsReader.object(text) == nil, "\(text)")
            #expect(JSONStringsReader.arrays(text) == nil, "\(text)")
        }
    }

    private func quoted(_ text: String) throws -> String {
        String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    }
}
