import Foundation
import Testing
import WorkflowEngine
import WorkflowLanguage

/// Business-day arithmetic, against the faults engines that have it shipped: holidays ignored,
/// "1 business day" counted as 24 business hours, a deadline landing on a holiday, DST weeks.
@Suite("Business calendars")
struct BusinessCalendarTests {
    /// The shipped head-office calendar: London, Monday to Friday, England's bank holidays.
    static let headOffice: BusinessCalendar = {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Calendars/head-office.yaml")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        let definition = CalendarParser.check(text, zoneProblem: BusinessCalendar.zoneProblem).definition
        // A broken shipped file fails every test below through this empty calendar.
        return
            (try? BusinessCalendar(
                definition ?? CalendarDefinition(name: "broken", title: "", zone: "UTC", workingDays: [], holidays: [])))!
    }()

    static func instant(_ text: String) -> Date { DataDate.parse(text)! }

    /// Thursday 15:00 before Easter: Good Friday and Easter Monday do not count.
    @Test func holidaysAreSkipped() {
        #expect(
            Self.headOffice.adding(1, to: Self.instant("2026-04-02T14:00:00Z")) == Self.instant("2026-04-07T14:00:00Z"))
        #expect(
            Self.headOffice.adding(2, to: Self.instant("2026-04-02T14:00:00Z")) == Self.instant("2026-04-08T14:00:00Z"))
    }

    /// One business day is the next working date at the same time, not 24 working hours (three
    /// days of 9 to 5) and not 24 hours (Saturday).
    @Test func oneBusinessDayIsOneWorkingDate() {
        let friday = Self.instant("2026-03-13T15:00:00Z")
        #expect(Self.headOffice.adding(1, to: friday) == Self.instant("2026-03-16T15:00:00Z"))
        #expect(Self.headOffice.adding(5, to: friday) == Self.instant("2026-03-20T15:00:00Z"))
    }

    /// A deadline is never on a weekend or a holiday, whatever the start and the count.
    @Test func aDeadlineNeverLandsOnADayOff() {
        let calendar = Self.headOffice
        let start = Self.instant("2026-01-01T00:00:00Z")
        for hours in stride(from: 0, to: 366 * 24, by: 7) {
            let from = start.addingTimeInterval(TimeInterval(hours * 3_600))
            for days in 1...3 {
                let due = calendar.adding(days, to: from)
                let day = calendar.clock.localTime(at: due).day
                #expect(calendar.isWorkingDay(day), "\(from) + \(days) business days = \(due), a day off")
                let before = calendar.subtracting(days, from: from)
                #expect(
                    calendar.isWorkingDay(calendar.clock.localTime(at: before).day),
                    "\(from) - \(days) business days = \(before), a day off")
                #expect(before < from && due > from, "\(from): \(before) .. \(due)")
            }
        }
    }

    /// Entered on a day off, the count starts at 00:00 of the next working date.
    @Test func aStartOnADayOffCountsFromTheNextWorkingMorning() {
        // Saturday 7 March 2026, 11:00 GMT: the whole of Monday to do it in.
        #expect(
            Self.headOffice.adding(1, to: Self.instant("2026-03-07T11:00:00Z")) == Self.instant("2026-03-10T00:00:00Z"))
        // Christmas Day 2026 (Friday), then the weekend and the Boxing Day substitute Monday.
        #expect(
            Self.headOffice.adding(1, to: Self.instant("2026-12-25T10:00:00Z")) == Self.instant("2026-12-30T00:00:00Z"))
    }

    /// Backwards from a date: a Saturday publication, one business day before, is due at the
    /// start of Friday; a Tuesday one after Easter, on the Thursday before the holidays.
    @Test func countingBackFromADate() {
        #expect(
            Self.headOffice.subtracting(1, from: Self.instant("2026-03-14T10:00:00Z"))
                == Self.instant("2026-03-13T00:00:00Z"))
        #expect(
            Self.headOffice.subtracting(1, from: Self.instant("2026-04-07T09:00:00Z"))
                == Self.instant("2026-04-02T09:00:00Z"))
    }

    /// Across the clocks going forward (29 March 2026) and back (25 October 2026), 10:00 stays
    /// 10:00 on the clock: counting 48 hours would be an hour late, then an hour early.
    @Test func theClockTimeHoldsAcrossDSTWeeks() {
        // Friday 27 March 10:00 GMT -> Tuesday 31 March 10:00 BST.
        #expect(
            Self.headOffice.adding(2, to: Self.instant("2026-03-27T10:00:00Z")) == Self.instant("2026-03-31T09:00:00Z"))
        // Friday 23 October 10:00 BST -> Tuesday 27 October 10:00 GMT.
        #expect(
            Self.headOffice.adding(2, to: Self.instant("2026-10-23T09:00:00Z")) == Self.instant("2026-10-27T10:00:00Z"))
        // Back across the spring change: Tuesday 10:00 BST, 2 business days before = Friday 10:00 GMT.
        #expect(
            Self.headOffice.subtracting(2, from: Self.instant("2026-03-31T09:00:00Z"))
                == Self.instant("2026-03-27T10:00:00Z"))
    }

    /// A clock time the clocks skip resolves to the instant they jump; one they show twice, to
    /// the first.
    @Test func skippedAndRepeatedClockTimes() throws {
        let sevenDays = try BusinessCalendar(
            CalendarDefinition(
                name: "always", title: "", zone: "Europe/London", workingDays: Array(1...7), holidays: []))
        // Saturday 28 March 01:30 GMT + 1 = Sunday 01:30, which does not exist: 02:00 BST.
        #expect(sevenDays.adding(1, to: Self.instant("2026-03-28T01:30:00Z")) == Self.instant("2026-03-29T01:00:00Z"))
        // Saturday 24 October 01:30 BST + 1 = Sunday 01:30, shown twice: the first, BST.
        #expect(sevenDays.adding(1, to: Self.instant("2026-10-24T00:30:00Z")) == Self.instant("2026-10-25T00:30:00Z"))
    }

    /// A plain date in the data (`publish_at: 2026-04-14`) is a day on the calendar's clock, not
    /// midnight UTC: in New York, one business day before Tuesday 14 April is Monday 00:00 EDT,
    /// not Friday evening.
    @Test func aPlainDateIsADayOnTheCalendarsClock() throws {
        let newYork = try BusinessCalendar(
            CalendarDefinition(
                name: "ny-office", title: "", zone: "America/New_York", workingDays: [2, 3, 4, 5, 6], holidays: []))
        let text = """
            name: dated
            title: Dated
            calendar: ny-office
            roles: {coach: Reviews.}
            initial: review
            stages:
              review: {assignee: coach, due: {before: publish_at, by: 1 business day}}
              done: {terminal: true}
            transitions:
              approve: {from: review, to: done, roles: [coach]}
            """
        let stage = try #require(WorkflowParser.check(text).validDefinition?.stage("review"))
        func due(_ publish: String) -> Date? {
            StageSchedule.dueTime(
                of: stage, enteredAt: Self.instant("2026-04-01T12:00:00Z"), data: ["publish_at": publish],
                calendar: newYork)
        }
        #expect(due("2026-04-14") == Self.instant("2026-04-13T04:00:00Z"))
        // A Saturday publication leaves Friday clear: due Friday 00:00 EDT.
        #expect(due("2026-04-11") == Self.instant("2026-04-10T04:00:00Z"))
        // A time of day is an instant as written.
        #expect(due("2026-04-14T00:00:00-04:00") == Self.instant("2026-04-13T04:00:00Z"))
    }

    /// A workflow's due rule counts in its calendar through the same schedule the engine uses.
    @Test func theScheduleCountsBusinessDays() throws {
        let text = """
            name: counted
            title: Counted
            calendar: head-office
            roles: {executive: Writes.}
            initial: write
            stages:
              write: {assignee: executive, due: 2 business days, reminders: [{at: due}]}
              review: {assignee: executive, due: {before: publish_at, by: 1 business day}}
              done: {terminal: true}
            transitions:
              submit: {from: write, to: review, roles: [executive], requires: [publish_at]}
              finish: {from: review, to: done, roles: [executive]}
            """
        let definition = try #require(WorkflowParser.check(text).validDefinition)
        let write = try #require(definition.stage("write"))
        let review = try #require(definition.stage("review"))
        let thursday = Self.instant("2026-04-02T14:00:00Z")
        #expect(
            StageSchedule.dueTime(of: write, enteredAt: thursday, data: [:], calendar: Self.headOffice)
                == Self.instant("2026-04-08T14:00:00Z"))
        #expect(
            StageSchedule.tasks(for: write, in: definition, enteredAt: thursday, data: [:], calendar: Self.headOffice)
                .map(\.runAt) == [Self.instant("2026-04-08T14:00:00Z")])
        #expect(
            StageSchedule.dueTime(
                of: review, enteredAt: thursday, data: ["publish_at": "2026-04-07T09:00:00Z"],
                calendar: Self.headOffice) == Self.instant("2026-04-02T09:00:00Z"))
        // Without its calendar there is no deadline to schedule; the engine never gets here.
        #expect(StageSchedule.dueTime(of: write, enteredAt: thursday, data: [:], calendar: nil) == nil)
    }
}
