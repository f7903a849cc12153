import Foundation
import Testing
import WorkflowEngine

@Suite("Dates in item data")
struct DataDateTests {
    @Test(arguments: [
        ("2026-03-10", "2026-03-10T00:00:00Z"), ("2026-03-10T09:00:00Z", "2026-03-10T09:00:00Z"),
        ("2026-03-10T09:00:00+02:00", "2026-03-10T07:00:00Z"), ("2026-03-10T01:00:00-05:30", "2026-03-10T06:30:00Z"),
        ("2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z"), ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
        ("2000-02-29", "2000-02-29T00:00:00Z"),
    ])
    func readsTheFormsPeopleWrite(text: String, expected: String) throws {
        let reference = ISO8601DateFormatter()
        #expect(DataDate.parse(text) == reference.date(from: expected))
    }

    @Test func readsFractions() throws {
        let date = try #require(DataDate.parse("2026-03-10T09:00:00.250Z"))
        #expect(abs(date.timeIntervalSince1970 - 1_773_133_200.25) < 0.000_001)
    }

    @Test(arguments: [
        "", "2026", "2026-3-10", "2026-02-30", "2025-02-29", "1900-02-29", "2026-13-01", "2026-00-10",
        "2026-03-10T09:00:00", "2026-03-10T24:00:00Z", "2026-03-10T09:60:00Z", "2026-03-10T09:00:00.Z",
        "2026-03-10 09:00:00Z", "2026-03-10T09:00:00+0200", "2026-03-10T09:00:00Zjunk", "tomorrow", "２０２６-03-10",
    ])
    func refusesEverythingElse(text: String) {
        #expect(DataDate.parse(text) == nil)
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
