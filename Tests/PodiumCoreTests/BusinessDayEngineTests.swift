import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine
import WorkflowLanguage

/// Business days through the engine: the calendar is read from the database, counted when a
/// stage is entered, kept with the visit, and a reloaded calendar counts from the next deadline.
@Suite("Business days in the engine", .serialized)
struct BusinessDayEngineTests {
    static func instant(_ text: String) -> Date { DataDate.parse(text)! }

    /// Thursday 2 April 2026, 15:00 in London: the answer is due after Easter, on Wednesday.
    @Test func aDeadlineSkipsTheBankHolidays() async throws {
        try await EngineFixture.run { fixture in
            let thursday = Self.instant("2026-04-02T14:00:00Z")
            let engine = fixture.engine(at: thursday)
            let item = try await engine.create(
                workflow: "open-door", title: "Is the office open at Easter?", author: "carol",
                participants: [Participant(role: "executive", actor: "alice")], data: [:])
            _ = try await engine.fire(item: item.id, transition: "routine", actor: "carol")
            let shown = try await engine.show(item.id)
            #expect(shown.dueAt == Self.instant("2026-04-08T14:00:00Z"))
            let kept = try await fixture.pool.query(
                "select due_at from history where item_id = \(item.id) and to_stage = 'answer'")
            #expect(try kept.single().decode(Date?.self, "due_at") == Self.instant("2026-04-08T14:00:00Z"))
            let reminders = try await fixture.pool.query(
                "select label, run_at from tasks where item_id = \(item.id) and kind = 'reminder' and status = 'pending' order by run_at"
            )
            #expect(
                try reminders.map { try $0.decode(String.self, "label") }.prefix(2) == ["4h before due", "at due"])
            #expect(try reminders.rows[1].decode(Date.self, "run_at") == Self.instant("2026-04-08T14:00:00Z"))
        }
    }

    /// A new holiday loaded into the calendar counts from the next deadline on; the deadline
    /// already set stays as it was counted.
    @Test func aReloadedCalendarCountsFromTheNextDeadline() async throws {
        try await EngineFixture.run { fixture in
            let monday = Self.instant("2026-03-02T10:00:00Z")
            let engine = fixture.engine(at: monday)
            let first = try await engine.create(
                workflow: "open-door", title: "Before the new holiday", author: "carol",
                participants: [Participant(role: "executive", actor: "alice")], data: [:])
            _ = try await engine.fire(item: first.id, transition: "routine", actor: "carol")
            #expect(try await engine.show(first.id).dueAt == Self.instant("2026-03-04T10:00:00Z"))

            let stored = try await engine.calendars.show("head-office")
            var changed = stored.definition
            changed.holidays.append(.init(date: "2026-03-03", name: "Company day off"))
            let outcome = try await engine.calendars.load(changed, source: "changed", path: nil)
            #expect(outcome.changed && outcome.revision == stored.revision + 1)
            let same = try await engine.calendars.load(changed, source: "changed", path: nil)
            #expect(!same.changed && same.revision == outcome.revision)

            let second = try await engine.create(
                workflow: "open-door", title: "After the new holiday", author: "carol",
                participants: [Participant(role: "executive", actor: "alice")], data: [:])
            _ = try await engine.fire(item: second.id, transition: "routine", actor: "carol")
            #expect(try await engine.show(second.id).dueAt == Self.instant("2026-03-05T10:00:00Z"))
            #expect(try await engine.show(first.id).dueAt == Self.instant("2026-03-04T10:00:00Z"))
        }
    }

    /// A workflow that counts in a calendar nobody loaded is refused at load, naming it.
    @Test func aWorkflowNeedsItsCalendarLoadedFirst() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 2))
            defer { Task { await pool.shutdown() } }
            let file = TestDatabase.repositoryRoot.appendingPathComponent("Workflows/open-door.yaml").path
            let source = try WorkflowFiles.read(file)
            let definition = try #require(WorkflowParser.check(source).validDefinition)
            let error = await #expect(throws: PodiumError.self) {
                try await WorkflowStore(pool: pool).load(definition, source: source, path: file)
            }
            #expect(error?.code == "not_found.calendar")
            #expect(
                error?.message.contains("names calendar head-office, which is not loaded") == true,
                "\(String(describing: error))")
            #expect(
                try await pool.query("select count(*) as n from workflow_versions").single().decode(Int.self, "n") == 0)
        }
    }

    /// Only the stages that count business days need the calendar: with it gone, a tough
    /// question still goes to the coach (due in 1d), and only the answer's deadline is refused.
    @Test func aMissingCalendarStopsOnlyTheStagesThatCountInIt() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine(at: Self.instant("2026-03-02T10:00:00Z"))
            let people = [Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob")]
            let tough = try await engine.create(
                workflow: "open-door", title: "Why the move?", author: "carol", participants: people, data: [:])
            let routine = try await engine.create(
                workflow: "open-door", title: "When is lunch?", author: "carol", participants: people, data: [:])
            try await fixture.pool.execute("delete from business_calendars")
            _ = try await engine.fire(item: tough.id, transition: "tough", actor: "carol", comment: "Pay.")
            #expect(try await engine.show(tough.id).stage == "coached_draft")
            let error = await #expect(throws: PodiumError.self) {
                try await engine.fire(item: routine.id, transition: "routine", actor: "carol")
            }
            #expect(error?.code == "not_found.calendar", "\(String(describing: error))")
            #expect(try await engine.show(routine.id).stage == "triage")
        }
    }

    /// A visit that had no deadline when it was entered (its date was not set yet) is not
    /// counted on time or late in the flow report, whatever the data says later.
    @Test func aVisitWithoutADeadlineIsNeitherOnTimeNorLate() async throws {
        try await EngineFixture.run { fixture in
            let text = """
                name: dated
                title: Dated
                roles: {executive: Writes., community_manager: Runs it.}
                initial: write
                stages:
                  write: {assignee: executive, due: {before: publish_at, by: 1d}}
                  done: {terminal: true}
                transitions:
                  finish: {from: write, to: done, roles: [executive]}
                """
            let definition = try #require(WorkflowParser.check(text).validDefinition)
            _ = try await WorkflowStore(pool: fixture.pool).load(definition, source: text, path: nil)
            let engine = fixture.engine(at: Self.instant("2026-03-02T10:00:00Z"))
            let item = try await engine.create(
                workflow: "dated", title: "Undated", author: "carol",
                participants: [Participant(role: "executive", actor: "alice")], data: [:])
            _ = try await engine.fire(
                item: item.id, transition: "finish", actor: "alice", data: ["publish_at": "2026-04-10T00:00:00Z"])
            let rows = try await Reports(pool: fixture.pool, time: FixedTime(Self.instant("2026-03-03T00:00:00Z")))
                .flow(workflow: "dated")
            let write = try #require(rows.first { $0.stage == "write" })
            #expect(write.passed == 1)
            #expect(write.onTimeShare == nil, "\(write)")
        }
    }
}
