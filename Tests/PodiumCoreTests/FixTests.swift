import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine
import WorkflowLanguage

private let monday = Date(timeIntervalSince1970: 1_772_442_000)

private func addAdmin(_ fixture: EngineFixture) async throws {
    _ = try await ActorStore(pool: fixture.pool).add(
        handle: "root", name: "Operator", roles: ["admin"], timezone: "UTC", channel: nil, workingHours: nil)
}

/// A new exec-post item whose "at due" reminder died after five attempts, its engine and the task admin.
private func itemWithADeadReminder(
    _ fixture: EngineFixture, title: String
) async throws -> (ItemEngine, ItemView, TaskAdmin) {
    let engine = fixture.engine(at: monday)
    let item = try await engine.create(
        workflow: "exec-post", title: title, author: "carol",
        participants: [Participant(role: "executive", actor: "alice")], data: [:])
    try await fixture.pool.execute(
        "update tasks set status = 'dead', attempts = 5, last_error = 'boom' where item_id = \(item.id) and label = 'at due'"
    )
    return (engine, item, TaskAdmin(pool: fixture.pool, time: FixedTime(monday), door: .cli))
}

@Suite("Operators' fixes are recorded and can be undone")
struct FixTests {
    @Test func moveIsAnAdminOverrideRecordedWithItsReasonAndUndoable() async throws {
        try await EngineFixture.run { fixture in
            try await addAdmin(fixture)
            let engine = fixture.engine(at: monday)
            let item = try await engine.create(
                workflow: "exec-post", title: "Stuck post", author: "carol",
                participants: [Participant(role: "executive", actor: "alice")], data: [:])
            let refused = await #expect(throws: PodiumError.self) {
                _ = try await engine.move(item: item.id, to: "draft", actor: "alice", reason: "please")
            }
            #expect(refused?.kind == .refused && refused?.message.contains("not an admin") == true)
            let unknown = await #expect(throws: PodiumError.self) {
                _ = try await engine.move(item: item.id, to: "drafting", actor: "root", reason: "typo")
            }
            #expect(unknown?.message.contains("has no stage drafting") == true)

            let moved = try await engine.move(item: item.id, to: "draft", actor: "root", reason: "she listened offline")
            #expect(
                moved.kind == "override" && moved.transition == nil && moved.actor == "root" && moved.role == "admin")
            #expect(moved.comment == "she listened offline" && moved.fromStage == "listen" && moved.toStage == "draft")
            let shown = try await engine.show(item.id)
            #expect(shown.stage == "draft")
            #expect(
                shown.openTasks.count == 6 && shown.openTasks.first?.label == "4h before due",
                "draft's tasks replace listen's")
            let undone = try await engine.move(item: item.id, to: "listen", actor: "root", reason: "undo: wrong item")
            #expect(undone.toStage == "listen")
            #expect(try await engine.show(item.id).stage == "listen")
            #expect(try await ConsistencyCheck(pool: fixture.pool).run().isEmpty)
        }
    }

    @Test func cancelClosesAndAMoveReopens() async throws {
        try await EngineFixture.run { fixture in
            try await addAdmin(fixture)
            let engine = fixture.engine(at: monday)
            let item = try await engine.create(
                workflow: "exec-post", title: "Duplicate", author: "carol",
                participants: [Participant(role: "executive", actor: "alice")], data: [:])
            let cancelled = try await engine.cancel(item: item.id, actor: "root", reason: "duplicate of another post")
            #expect(cancelled.kind == "cancel" && cancelled.toStage == "listen")
            let closed = try await engine.show(item.id)
            #expect(closed.closedAt != nil && closed.openTasks.isEmpty)
            let again = await #expect(throws: PodiumError.self) {
                _ = try await engine.cancel(item: item.id, actor: "root", reason: "twice")
            }
            #expect(again?.message == "item \(item.id) is already closed")
            _ = try await engine.move(item: item.id, to: "draft", actor: "root", reason: "not a duplicate after all")
            let reopened = try await engine.show(item.id)
            #expect(reopened.closedAt == nil && reopened.stage == "draft" && !reopened.openTasks.isEmpty)
            #expect(try await engine.history(item.id).map(\.kind) == ["create", "cancel", "override"])
            #expect(try await ConsistencyCheck(pool: fixture.pool).run().isEmpty)
        }
    }

    @Test func deadTasksAreRetriedAndTasksCancelledWithDryRuns() async throws {
        try await EngineFixture.run { fixture in
            let (engine, item, admin) = try await itemWithADeadReminder(fixture, title: "Unreachable")
            let dead = try await admin.list(status: "dead")
            #expect(dead.count == 1 && dead.first?.lastError == "boom")
            let preview = try await admin.retry(ids: nil, actor: "carol", reason: "channel fixed", dryRun: true)
            #expect(preview.map(\.id) == dead.map(\.id))
            #expect(try await admin.list(status: "dead").count == 1, "a dry run changes nothing")
            let retried = try await admin.retry(ids: nil, actor: "carol", reason: "channel fixed", dryRun: false)
            #expect(retried.count == 1)
            // What comes back is the task as the retry left it, not as it was.
            #expect(retried.first?.status == "pending" && retried.first?.attempts == 0, "\(retried)")
            let recorded = try await engine.history(item.id).last
            #expect(recorded?.kind == "task" && recorded?.actor == "carol" && recorded?.role == "community_manager")
            #expect(recorded?.comment == "retried reminder \"at due\" (task \(dead[0].id)): channel fixed")
            let task = try #require(try await admin.list(status: "pending").first { $0.id == dead[0].id })
            #expect(task.attempts == 0 && task.runAt == monday)
            let notDead = await #expect(throws: PodiumError.self) {
                _ = try await admin.retry(ids: [task.id], actor: "carol", reason: "again", dryRun: false)
            }
            #expect(notDead?.message.contains("is not dead") == true)
            _ = try await admin.cancel(ids: [task.id], actor: "carol", reason: "not needed", dryRun: false)
            #expect(try await admin.list(status: "cancelled").contains { $0.id == task.id })
            #expect(try await engine.history(item.id).filter { $0.kind == "task" }.count == 2)
            #expect(try await ConsistencyCheck(pool: fixture.pool).run().isEmpty)
            await #expect(throws: PodiumError.self) { _ = try await admin.list(status: "lost") }
        }
    }

    @Test func deadTasksOfAVisitTheItemHasLeftStayDead() async throws {
        try await EngineFixture.run { fixture in
            let (engine, item, admin) = try await itemWithADeadReminder(fixture, title: "Moved on")
            let dead = try #require(try await admin.list(status: "dead").first)
            _ = try await engine.fire(item: item.id, transition: "start_draft", actor: "alice")

            let refused = await #expect(throws: PodiumError.self) {
                _ = try await admin.retry(ids: [dead.id], actor: "carol", reason: "again", dryRun: false)
            }
            #expect(refused?.kind == .refused)
            #expect(
                refused?.message
                    == "task \(dead.id) is for a stage visit item \(item.id) has left; it cannot be retried")
            #expect(try await admin.retry(ids: nil, actor: "carol", reason: "all", dryRun: false).isEmpty)
            #expect(try await admin.list(status: "dead").map(\.id) == [dead.id])
            _ = try await admin.cancel(ids: [dead.id], actor: "carol", reason: "obsolete", dryRun: false)
            #expect(try await admin.list(status: "cancelled").contains { $0.id == dead.id })
            #expect(try await ConsistencyCheck(pool: fixture.pool).run().isEmpty)
        }
    }
}

@Suite("Migrating items to a new workflow version")
struct VersionMigrationTests {
    @Test func refusedWithoutAMappingThenMigratedWithOne() async throws {
        try await EngineFixture.run { fixture in
            try await addAdmin(fixture)
            let engine = fixture.engine(at: monday)
            var ids: [Int] = []
            for title in ["One", "Two"] {
                ids.append(
                    try await engine.create(
                        workflow: "start-small", title: title, author: "carol",
                        participants: [Participant(role: "executive", actor: "alice")], data: [:]
                    ).id)
            }
            _ = try await engine.fire(
                item: ids[1], transition: "ready_for_public", actor: "alice", data: ["practice_posts": "2"])
            let source = try String(
                contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("Workflows/start-small.yaml"),
                encoding: .utf8
            ).replacingOccurrences(of: "private_space", with: "private_group")
            let loaded = try await WorkflowStore(pool: fixture.pool).load(
                try #require(WorkflowParser.check(source).validDefinition), source: source, path: nil)
            #expect(loaded.version == 2)

            let refused = await #expect(throws: PodiumError.self) {
                _ = try await engine.migrate(
                    workflow: "start-small", to: 2, mappings: [:], actor: "root", reason: "rename", dryRun: false)
            }
            #expect(refused?.message == "start-small@2 has no stage private_space (1 item); nothing was migrated")
            #expect(try await engine.show(ids[0]).version == 1)

            let preview = try await engine.migrate(
                workflow: "start-small", to: 2, mappings: ["private_space": "private_group"], actor: "root",
                reason: "rename", dryRun: true)
            #expect(preview.map(\.toStage) == ["private_group", "feedback"])
            #expect(try await engine.show(ids[0]).version == 1, "a dry run changes nothing")

            let steps = try await engine.migrate(
                workflow: "start-small", to: 2, mappings: ["private_space": "private_group"], actor: "root",
                reason: "rename", dryRun: false)
            #expect(steps.count == 2)
            let first = try await engine.show(ids[0])
            #expect(first.version == 2 && first.stage == "private_group" && !first.openTasks.isEmpty)
            let history = try await engine.history(ids[0])
            #expect(history.last?.kind == "migrate" && history.last?.comment == "rename (version 1 -> 2)")
            #expect(try await engine.show(ids[1]).stage == "feedback")
            #expect(try await ConsistencyCheck(pool: fixture.pool).run().isEmpty)
            let stuck = try await StuckFinder(pool: fixture.pool, time: FixedTime(monday)).find(workflow: "start-small")
            #expect(!stuck.contains { $0.reasons.contains { $0.kind == "orphaned_stage" } })
        }
    }
}
