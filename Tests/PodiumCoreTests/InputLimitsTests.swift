import PodiumCore
import Testing

@Suite("Limits on free text")
struct InputLimitsTests {
    @Test func whiteSpaceAroundIsTrimmedAndInsideKept() throws {
        let text = " \t\n\u{A0}\u{3000}Shorter,\n please.\u{2029}\r\n "
        #expect(try InputLimits.text(text, what: "comment", limit: 100) == "Shorter,\n please.")
        #expect(try InputLimits.text("x", what: "comment", limit: 1) == "x")
    }

    @Test func emptyLongAndNULTextIsRefused() {
        for (text, message) in [
            (" \n\u{A0} ", "the comment is empty"), ("", "the comment is empty"),
            ("toolong", "the comment is 7 characters; the limit is 6"),
            ("a\0b", "the comment contains a NUL character"),
        ] {
            #expect {
                try InputLimits.text(text, what: "comment", limit: 6)
            } throws: { error in
                (error as? PodiumError)?.message == message && (error as? PodiumError)?.kind == .usage
            }
        }
    }
}
