import Testing
import WorkflowLanguage

private func zoneProblem(_ name: String) -> String? {
    ["Europe/London", "UTC", "America/New_York"].contains(name) ? nil : "unknown time zone \"\(name)\""
}

@Suite("Calendar files and business days in workflows")
struct CalendarFileTests {
    @Test func aCalendarFileIsReadSortedAndChecksummed() throws {
        let text = """
            name: uk-office
            zone: Europe/London
            working_days: [fri, mon, thu, tue, wed]
            holidays:
              2026-12-28: Boxing Day (substitute day)
              2026-12-25: Christmas Day
            """
        let definition = try #require(CalendarParser.check(text, zoneProblem: zoneProblem).definition)
        #expect(definition.workingDays == [2, 3, 4, 5, 6])
        #expect(definition.holidays.map(\.date) == ["2026-12-25", "2026-12-28"])
        #expect(definition.title == "uk-office")
        let reordered = text.replacingOccurrences(of: "[fri, mon, thu, tue, wed]", with: "[mon, tue, wed, thu, fri]")
        #expect(CalendarParser.check(reordered, zoneProblem: zoneProblem).definition?.checksum == definition.checksum)
        #expect(try CalendarDefinition.fromCanonicalJSON(definition.canonicalJSON()) == definition)
    }

    /// Each mistake is reported at its place, and a file with one is never read into a calendar.
    @Test(arguments: [
        ("name: x\nzone: Mars/Olympus\n", "2:7", "unknown time zone"),
        ("name: x\nzone: UTC\nworking_days: [mon, funday]\n", "3:21", "\"funday\" is not a weekday"),
        ("name: x\nzone: UTC\nworking_days: []\n", "3:15", "lists no day"),
        ("name: x\nzone: UTC\nholidays:\n  2026-02-30: Nope\n", "4:3", "\"2026-02-30\" is not a date"),
        ("name: x\nzone: UTC\nholidays:\n  25/12/2026: Christmas\n", "4:3", "not a date; write YYYY-MM-DD"),
        ("name: x\nzone: UTC\nholidays:\n  2026-12-25: a\n  2026-12-25: b\n", "4:3", "duplicate key"),
        ("name: UK Office\nzone: UTC\n", "1:7", "must be kebab-case"),
        ("name: a--b\nzone: UTC\n", "1:7", "must be kebab-case"),
        ("name: 2026-office\nzone: UTC\n", "1:7", "must be kebab-case"),
        ("name: x\nzone: UTC\nholidays:\n  2026-12-25: \"\"\n", "4:15", "needs a name on one line"),
        ("name: x\nzone: UTC\nholidays:\n  2026-12-25: \"a\\nb\"\n", "4:15", "needs a name on one line"),
        ("zone: UTC\n", "1:1", "has no \"name\""),
        ("name: x\nzone: UTC\nweekend: [sat]\n", "3:1", "unknown key \"weekend\""),
    ])
    func mistakesArePlaced(text: String, at location: String, says: String) {
        let check = CalendarParser.check(text, zoneProblem: zoneProblem)
        #expect(check.definition == nil, "\(text)")
        let error = check.diagnostics.first { $0.severity == .error }
        #expect(error?.location.description == location, "\(text): \(check.diagnostics)")
        #expect(error?.message.contains(says) == true, "\(text): \(check.diagnostics)")
    }

    @Test func aCalendarWithoutHolidays() throws {
        let definition = try #require(
            CalendarParser.check("name: weekdays\nzone: UTC\nholidays: []\n", zoneProblem: zoneProblem).definition)
        #expect(definition.holidays.isEmpty)
    }

    @Test func dueSpansReadAndWriteBack() throws {
        #expect(try DueSpan(parsing: "2 business days") == .businessDays(2))
        #expect(try DueSpan(parsing: "1 business days").description == "1 business day")
        #expect(try DueSpan(parsing: "36h") == .elapsed(WorkflowDuration(seconds: 129_600)))
        #expect(try DueSpan(parsing: "36h").description == "1d12h")
        #expect(throws: DurationError.self) { try DueSpan(parsing: "0 business days") }
        #expect(throws: DurationError.self) { try DueSpan(parsing: "1001 business days") }
        #expect(throws: DurationError.self) { try DueSpan(parsing: "-1 business days") }
        let hours = #expect(throws: DurationError.self) { try DueSpan(parsing: "16 business hours") }
        #expect(hours?.message.contains("not business hours") == true)
    }

    static let workflow = """
        name: counted
        title: Counted
        roles: {executive: Writes.}
        initial: write
        stages:
          write: {assignee: executive, due: 2 business days}
          done: {terminal: true}
        transitions:
          finish: {from: write, to: done, roles: [executive]}
        """

    /// Business days need a calendar to be counted in; the error points at the due rule.
    @Test func businessDaysWithoutACalendarAreAnError() {
        let check = WorkflowParser.check(Self.workflow)
        #expect(check.hasErrors)
        let error = check.diagnostics.first { $0.severity == .error }
        #expect(error?.location.description == "6:37", "\(check.diagnostics)")
        #expect(error?.message.contains("names no calendar") == true, "\(check.diagnostics)")
        let fixed = WorkflowParser.check(
            Self.workflow.replacingOccurrences(of: "title: Counted\n", with: "title: Counted\ncalendar: uk-office\n"))
        #expect(fixed.diagnostics.isEmpty, "\(fixed.diagnostics)")
        #expect(fixed.definition?.calendar == "uk-office")
    }

    @Test func aCalendarNothingCountsInIsAWarningAndABadNameAnError() {
        let unused = WorkflowParser.check(
            Self.workflow.replacingOccurrences(of: "2 business days", with: "2d")
                .replacingOccurrences(of: "title: Counted\n", with: "title: Counted\ncalendar: uk-office\n"))
        #expect(!unused.hasErrors)
        #expect(unused.diagnostics.map(\.message).contains { $0.contains("no due rule counts business days") })
        let badName = WorkflowParser.check(
            Self.workflow.replacingOccurrences(of: "title: Counted\n", with: "title: Counted\ncalendar: UK Office\n"))
        #expect(badName.diagnostics.contains { $0.message.contains("must be kebab-case") && $0.location.line == 3 })
    }

    /// A workflow that counts no business days keeps the version it had: the canonical form
    /// leaves out the calendar it does not name and writes elapsed durations as before.
    @Test func workflowsWithoutBusinessDaysKeepTheirVersion() throws {
        let text = Self.workflow.replacingOccurrences(of: "2 business days", with: "2d")
        let json = String(
            decoding: try #require(WorkflowParser.check(text).validDefinition).canonicalJSON(), as: UTF8.self)
        #expect(!json.contains("calendar"))
        #expect(json.contains("\"due\":{\"after\":\"2d\"}"))
    }
}
