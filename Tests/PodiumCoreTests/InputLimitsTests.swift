import LibPQ
import PodiumCore
import PodiumTestSupport
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
            ("toolong", "the comment is 7 characters (Unicode code points); the limit is 6"),
            // 3 characters on screen, 7 code points: counted as the database counts
            ("👍🏽👍🏽e\u{301}", "the comment is 6 characters (Unicode code points); the limit is 5"),
            ("a\0b", "the comment contains a NUL character"),
        ] {
            #expect {
                try InputLimits.text(text, what: "comment", limit: text.unicodeScalars.first == "👍" ? 5 : 6)
            } throws: { error in
                (error as? PodiumError)?.message == message && (error as? PodiumError)?.kind == .usage
            }
        }
    }
}

/// A rule the schema keeps and the input broke is bad input (exit 2), never "database
/// unavailable" (exit 6), whatever path let the input reach the database.
@Suite("Integrity and data errors are input errors")
struct SchemaRefusalTests {
    @Test func realConstraintViolationsExitAsBadInput() async throws {
        let violations: [(String, PostgresQuery)] = [
            ("check", "insert into actors (handle, display_name) values ('x', '')"),
            ("foreign key", "insert into participants (item_id, role, actor) values (999999, 'coach', 'nobody')"),
            ("invalid text", "select 'not a number'::integer"),
            ("division by zero", "select 1 / 0"),
        ]
        try await EngineFixture.run { fixture in
            for (name, statement) in violations {
                do {
                    try await fixture.pool.execute(statement)
                    Issue.record("\(name) succeeded")
                } catch let error as PostgresError {
                    let podium = PodiumError(error, while: "finish")
                    #expect(podium.kind == .usage, "\(name): \(error)")
                    #expect(podium.message.contains("the database refused the input"))
                }
            }
        }
    }
}
