import Foundation
import Testing
import WorkflowEngine

@Suite("Working hours on the wall clock")
struct WorkingHoursTests {
    static let newYork = TimeZone(identifier: "America/New_York")!
    static func everyDay() throws -> WorkingHours { try WorkingHours(parsing: "Mon-Sun 09:00-18:00") }

    static func instant(_ text: String) -> Date { DataDate.parse(text)! }

    @Test(
        "The window opens when the clock shows the opening time, also on the days the clocks change",
        arguments: [
            // spring forward: 09:00 EDT is 13:00Z (midnight plus 9 hours would be 14:00Z)
            ("2026-03-08T12:00:00Z", "2026-03-08T13:00:00Z"),
            // fall back: 09:00 EST is 14:00Z (midnight plus 9 hours would be 13:00Z)
            ("2026-11-01T12:00:00Z", "2026-11-01T14:00:00Z"),
            ("2026-11-01T13:00:00Z", "2026-11-01T14:00:00Z"),
            ("2026-11-01T13:00:01Z", "2026-11-01T14:00:00Z"),
            // open already: the instant itself
            ("2026-11-01T14:00:00Z", "2026-11-01T14:00:00Z"),
            ("2026-03-08T21:59:59Z", "2026-03-08T21:59:59Z"),
            // closed at 18:00 EDT, opens next morning
            ("2026-03-08T22:00:00Z", "2026-03-09T13:00:00Z"),
        ])
    func opensAtTheWallClockTime(now: String, expected: String) throws {
        #expect(
            try Self.everyDay().nextOpening(atOrAfter: Self.instant(now), in: Self.newYork) == Self.instant(expected))
    }

    /// Hours are written out in full; a sloppy form is refused rather than read as something else.
    @Test(arguments: [
        "Mon-Fri +9:00-18:00", "Mon-Fri 0009:00-18:00", "Mon-Fri 9:0-18:00", "Mon- 09:00-18:00",
        ",Mon 09:00-18:00", "Mon,,Fri 09:00-18:00", "Mon-Fri -0:30-18:00", "Mon-Fri 09:00-24:01",
        "Mon-Fri 18:00-09:00", "Mon-Fri 09:60-18:00", "Mon-Fri ０９:00-18:00",
    ])
    func sloppyFormsAreRefused(text: String) {
        #expect(throws: WorkingHoursError.self) { try WorkingHours(parsing: text) }
    }

    @Test(arguments: [
        ("Mon-Fri 08:30-17:00", "Mon,Tue,Wed,Thu,Fri 08:30-17:00"), ("Sat,Sun 00:00-24:00", "Sat,Sun 00:00-24:00"),
        ("fri-mon 09:00-12:00", "Mon,Fri,Sat,Sun 09:00-12:00"), ("always", "always"),
    ])
    func fullFormsAreRead(text: String, spelled: String) throws {
        #expect(try WorkingHours(parsing: text).description == spelled)
    }

    @Test func aClosedWindowAlwaysOpensStrictlyLater() throws {
        // The instant a wrong computation held a task until: holding until "now" made a worker
        // claim the task again forever.
        let now = Self.instant("2026-11-01T13:00:00Z")
        #expect(try !Self.everyDay().isOpen(at: now, in: Self.newYork))
        #expect(try Self.everyDay().nextOpening(atOrAfter: now, in: Self.newYork) > now)
    }

    /// Every row of `Oracle/working-hours-2026.tsv`: 16 zones (30-minute shifts, southern DST,
    /// DST at midnight, +05:45, +12:45) and 6 windows, queried every other day of 2026 and every
    /// 15 minutes around each offset change. Expected values come from a brute-force scan with
    /// Python's zoneinfo (`make-working-hours-table.py` says how).
    @Test func agreesWithZoneinfoOverAYear() throws {
        let url = try #require(Bundle.module.url(forResource: "Oracle/working-hours-2026", withExtension: "tsv"))
        let rows = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(rows.count > 20_000)
        var hoursBySpec: [Substring: WorkingHours] = [:]
        var zones: [Substring: TimeZone] = [:]
        var failures: [String] = []
        for row in rows {
            let fields = row.split(separator: "\t")
            let zone = try #require(zones[fields[0]] ?? TimeZone(identifier: String(fields[0])))
            let hours = try hoursBySpec[fields[1]] ?? WorkingHours(parsing: String(fields[1]))
            zones[fields[0]] = zone
            hoursBySpec[fields[1]] = hours
            let query = Self.instant(String(fields[2]))
            let expected = Self.instant(String(fields[3]))
            let got = hours.nextOpening(atOrAfter: query, in: zone)
            if got != expected || hours.isOpen(at: query, in: zone) != (query == expected) {
                failures.append("\(row): got \(DataDate.format(got))")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) disagreements, e.g. \(failures.prefix(5))")
    }
}
