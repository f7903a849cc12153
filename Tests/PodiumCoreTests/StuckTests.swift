import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine
import WorkflowLanguage

private let monday = Date(timeIntervalSince1970: 1_772_442_000)  // 2026-03-02 09:00 UTC
private let day: TimeInterval = 86_400

private func kinds(_ items: [StuckItem], _ id: Int) -> [String] {
    items.first { $0.itemID == id }?.reasons.map(\.kind) ?? []
}

@Suite("podium stuck finds each reason in a real scenario")
struct StuckTests {
    @Test func overdueThenEscalatedThenIdle() async throws {
        try await EngineFixture.run { fixture in
            let item = try await fixture.engine(at: monday).create(
                workflow: "exec-post", title: "Quiet post", author: "carol",
                participants: [Participant(role: "executive", actor: "alice")], data: [:])
            let early = try await StuckFinder(pool: fixture.pool, time: FixedTime(monday.addingTimeInterval(day)))
                .find()
            #expect(kinds(early, item.id).isEmpty)
            let overdue = try await StuckFinder(pool: fixture.pool, time: FixedTime(monday.addingTimeInterval(4 * day)))
                .find()
            let reason = try #require(overdue.first { $0.itemID == item.id }?.reasons.first)
            #expect(reason.kind == "overdue" && reason.message == "overdue by 1d, not escalated yet")
            #expect(reason.details["overdue_seconds"] == "86400")
            // The worker sends the escalation (5 days in); the item is then overdue and escalated.
            try await fixture.pool.execute(
                "update tasks set status = 'done' where item_id = \(item.id) and kind = 'escalation'")
            let idle = try await StuckFinder(pool: fixture.pool, time: FixedTime(monday.addingTimeInterval(7 * day)))
                .find()
            #expect(kinds(idle, item.id) == ["overdue", "idle"])
            #expect(idle.first?.reasons.first?.message.contains(", escalated") == true)
            let byOption = try await StuckFinder(
                pool: fixture.pool, time: FixedTime(monday.addingTimeInterval(2 * day))
            )
            .find(idleAfter: .seconds(3600))
            #expect(kinds(byOption, item.id) == ["idle"])
        }
    }

    @Test func deadTasksShowTheirError() async throws {
        try await EngineFixture.run { fixture in
            let item = try await fixture.engine(at: monday).create(
                workflow: "exec-post", title: "Unreachable", author: "carol",
                participants: [Participant(role: "executive", actor: "alice")], data: [:])
            try await fixture.pool.execute(
                """
                update tasks set status = 'dead', attempts = 5, last_error = 'alice: command exited with 3'
                 where item_id = \(item.id) and label = '1d before due'
                """)
            let found = try await StuckFinder(pool: fixture.pool, time: FixedTime(monday)).find()
            let reason = try #require(found.first { $0.itemID == item.id }?.reasons.first)
            #expect(reason.kind == "dead_task")
            #expect(reason.message == "reminder \"1d before due\" is dead: alice: command exited with 3")
        }
    }

    @Test func nobodyCanActAndOrphanedStages() async throws {
        try await EngineFixture.run { fixture in
            try await fixture.pool.execute("update actors set roles = '{}' where handle = 'carol'")
            let lonely = try await fixture.engine(at: monday).create(
                workflow: "start-small", title: "Nobody here", author: "carol", participants: [], data: [:])
            let found = try await StuckFinder(pool: fixture.pool, time: FixedTime(monday)).find()
            #expect(kinds(found, lonely.id) == ["no_actor"])

            // A new version renames the stage the item sits in.
            let source = try String(
                contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("Workflows/start-small.yaml"),
                encoding: .utf8
            ).replacingOccurrences(of: "private_space", with: "private_group")
            let renamed = try #require(WorkflowParser.check(source).validDefinition)
            _ = try await WorkflowStore(pool: fixture.pool).load(renamed, source: source, path: nil)
            let later = try await StuckFinder(pool: fixture.pool, time: FixedTime(monday)).find(workflow: "start-small")
            #expect(kinds(later, lonely.id) == ["no_actor", "orphaned_stage"])
        }
    }

    @Test func waitingForApprovals() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine(at: monday)
            let item = try await engine.create(
                workflow: "start-small", title: "Almost there", author: "carol",
                participants: [
                    Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob"),
                    Participant(role: "coach", actor: "dana"),
                ], data: [:])
            for (transition, actor, comment, data) in [
                ("ready_for_public", "alice", nil, ["practice_posts": "3"]),
                ("step_up_to_short_updates", "bob", "ok", [:]), ("updates_done", "alice", nil, [:]),
                ("step_up_to_long_form", "dana", "ok", [:]), ("long_form_done", "alice", nil, [:]),
                ("step_up_to_dialogue", "bob", "ok", [:]), ("dialogue_done", "alice", nil, [:]),
                ("graduate", "bob", "yes", [:]),
            ] as [(String, String, String?, [String: String])] {
                _ = try await engine.fire(
                    item: item.id, transition: transition, actor: actor, comment: comment, data: data)
            }
            let found = try await StuckFinder(pool: fixture.pool, time: FixedTime(monday)).find()
            let reason = try #require(found.first { $0.itemID == item.id }?.reasons.first)
            #expect(reason.kind == "awaiting_approvals")
            // `approvals: all` with two mentors besides the author: the decider's count, as `item
            // show` and the fire use it (this once said "1 of all" and `item show` "0 of 2").
            #expect(reason.message == "graduate has 1 of 2 approvals (bob)")
        }
    }
}
