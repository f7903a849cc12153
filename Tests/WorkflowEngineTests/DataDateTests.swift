import Foundation
import PodiumTestSupport
import Testing
import WorkflowEngine

@Suite("Dates in item data")
struct DataDateTests {
    /// Every case of the shared table (`DateCases`), one per rule of RFC 3339 §5.6; the flow
    /// report's SQL reader is held to the same table in PodiumCoreTests.
    @Test(arguments: DateCases.all)
    func readsRFC3339(_ example: DateCase) {
        let parsed = DataDate.parse(example.text)
        if let seconds = example.seconds {
            #expect(
                parsed.map { abs($0.timeIntervalSince1970 - seconds) <= example.tolerance } == true,
                "got \(String(describing: parsed))")
        } else {
            #expect(parsed == nil)
        }
    }

    /// Printed as typed, in the proleptic Gregorian calendar: not 1499-12-23 for 1500-01-01.
    @Test(arguments: ["1500-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "1582-10-10T12:00:00Z", "9999-12-31T23:59:59Z"])
    func formatsTheInstantThatWasTyped(text: String) throws {
        #expect(DataDate.format(try #require(DataDate.parse(text))) == text)
    }

    /// A fraction never rounds up into the next second, where a Double cannot hold microseconds
    /// (the fuzzer's 9999-12-31T23:59:59.9999994Z was written back as year 10000).
    @Test(arguments: [
        ("9999-12-31T23:59:59.9999994Z", "9999-12-31T23:59:59Z"),
        ("9000-06-30T12:00:00.999999Z", "9000-06-30T12:00:00Z"),
        ("0000-01-01T00:00:00.999999Z", "0000-01-01T00:00:00Z"),
        ("2026-03-10T09:00:00.999999Z", "2026-03-10T09:00:00Z"),
    ])
    func aFractionStaysInItsSecond(text: String, written: String) throws {
        #expect(DataDate.format(try #require(DataDate.parse(text))) == written)
    }

    @Test func aValueOfADateFieldMustBeADate() {
        let fields: Set<String> = ["publish_at"]
        #expect(
            DataDate.problem(in: ["publish_at": "2026-03-10t09:00:00z", "body": "next-tuesday"], dateFields: fields)
                == nil)
        #expect(
            DataDate.problem(in: ["publish_at": "next-tuesday"], dateFields: fields)
                == "publish_at \"next-tuesday\" is not a date, and a due time is read from it; write \(DataDate.acceptedForms)"
        )
        // Emptying a date field would take the stage's deadline away without a word.
        #expect(
            DataDate.problem(in: ["publish_at": ""], dateFields: fields)?.hasPrefix("publish_at \"\" is not a date")
                == true)
    }

    /// Agrees with Foundation's formatter on a thousand random instants and offsets.
    @Test func agreesWithISO8601DateFormatter() throws {
        var generator = SystemRandomNumberGenerator()
        let formatter = ISO8601DateFormatter()
        for _ in 0..<1000 {
            let instant = Date(
                timeIntervalSince1970: TimeInterval(Int.random(in: -2_000_000_000...4_000_000_000, using: &generator)))
            formatter.timeZone = TimeZone(secondsFromGMT: Int.random(in: -48...56, using: &generator) * 900)
            let text = formatter.string(from: instant)
            #expect(DataDate.parse(text) == instant, "\(text)")
        }
    }

    /// Messages write due times the way `ISO8601DateFormatter` does, whole seconds in UTC.
    @Test func formatsLikeISO8601DateFormatter() {
        var generator = SystemRandomNumberGenerator()
        let formatter = ISO8601DateFormatter()
        for _ in 0..<1000 {
            let instant = Date(
                timeIntervalSince1970: TimeInterval(Int.random(in: -2_000_000_000...4_000_000_000, using: &generator)))
            #expect(DataDate.format(instant) == formatter.string(from: instant))
        }
        #expect(DataDate.format(Date(timeIntervalSince1970: 1_773_133_200.75)) == "2026-03-10T09:00:00Z")
    }
}
