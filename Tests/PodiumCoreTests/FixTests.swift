import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine

private let monday = Date(timeIntervalSince1970: 1_772_442_000)

private func addAdmin(_ fixture: EngineFixture) async throws {
    _ = try await ActorStore(pool: fixture.pool).add(
        handle: "root", name: "Operator", roles: ["admin"], timezone: "UTC", channel: nil, workingHours: nil)
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
            let engine = fixture.engine(at: monday)
            let item = try await engine.create(
                workflow: "exec-post", title: "Unreachable", author: "carol",
                participants: [Participant(role: "executive", actor: "alice")], data: [:])
            try await fixture.pool.execute(
                "update tasks set status = 'dead', attempts = 5, last_error = 'boom' where item_id = \(item.id) and label = 'at due'"
            )
            let admin = TaskAdmin(pool: fixture.pool, time: FixedTime(monday))
            let dead = try await admin.list(status: "dead")
            #expect(dead.count == 1 && dead.first?.lastError == "boom")
            let preview = try await admin.retry(ids: nil, dryRun: true)
            #expect(preview.map(\.id) == dead.map(\.id))
            #expect(try await admin.list(status: "dead").count == 1, "a dry run changes nothing")
            let retried = try await admin.retry(ids: nil, dryRun: false)
            #expect(retried.count == 1)
            let task = try #require(try await admin.list(status: "pending").first { $0.id == dead[0].id })
            #expect(task.attempts == 0 && task.runAt == monday)
            let notDead = await #expect(throws: PodiumError.self) {
                _ = try await admin.retry(ids: [task.id], dryRun: false)
            }
            #expect(notDead?.message.contains("is not dead") == true)
            _ = try await admin.cancel(ids: [task.id], dryRun: false)
            #expect(try await admin.list(status: "cancelled").contains { $0.id == task.id })
            await #expect(throws: PodiumError.self) { _ = try await admin.list(status: "lost") }
        }
    }
}
