import Testing
import WorkflowLanguage

@Suite("Durations")
struct DurationTests {
    @Test(arguments: [
        ("30s", 30), ("15m", 900), ("4h", 14_400), ("2d", 172_800), ("1w", 604_800), ("1d12h", 129_600),
        ("1w2d3h4m5s", 788_645), (" 2d ", 172_800),
    ])
    func parses(text: String, seconds: Int64) throws {
        #expect(try WorkflowDuration(parsing: text).seconds == seconds)
    }

    @Test func canonicalFormUsesTheLargestUnits() throws {
        #expect(try WorkflowDuration(parsing: "36h").description == "1d12h")
        #expect(try WorkflowDuration(parsing: "90m").description == "1h30m")
        #expect(try WorkflowDuration(parsing: "14d").description == "2w")
    }

    @Test(arguments: [
        ("", "empty"), ("2x", "\"x\" is not a unit"), ("d", "a number must come before"),
        ("12", "needs a unit after 12"), ("1h1d", "largest first"), ("1d1d", "largest first"), ("0s", "zero"),
        ("11000d", "10 years"), ("9999999999s", "too large"), ("-1d", "\"-\" is not a unit"),
    ])
    func refusesWithAReason(text: String, reason: String) {
        do {
            _ = try WorkflowDuration(parsing: text)
            Issue.record("\(text) must not parse")
        } catch {
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }
}
