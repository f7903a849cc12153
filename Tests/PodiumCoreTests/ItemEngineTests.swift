import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine

private let monday = Date(timeIntervalSince1970: 1_772_442_000)  // 2026-03-02 09:00 UTC

func post(_ engine: ItemEngine) async throws -> ItemView {
    try await engine.create(
        workflow: "exec-post", title: "What support taught me", author: "carol",
        participants: [Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob")],
        data: [:])
}

/// Takes a fresh post to private review: alice drafted and submitted it, bob coaches.
func postInReview(_ engine: ItemEngine) async throws -> ItemView {
    let item = try await post(engine)
    _ = try await engine.fire(item: item.id, transition: "start_draft", actor: "alice")
    _ = try await engine.fire(
        item: item.id, transition: "submit", actor: "alice",
        data: ["body": "Three things", "publish_at": "2026-03-10T09:00:00Z"])
    return try await engine.show(item.id)
}

/// Takes a fresh start-small enrolment to the stage whose `graduate` needs three approvals
/// (coaches bob and dana, community manager carol).
private func enrolmentReadyToGraduate(_ engine: ItemEngine) async throws -> ItemView {
    let item = try await engine.create(
        workflow: "start-small", title: "Alice starts small", author: "carol",
        participants: [
            Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob"),
            Participant(role: "coach", actor: "dana"), Participant(role: "community_manager", actor: "carol"),
        ],
        data: [:])
    let steps: [(String, String, String?, [String: String])] = [
        ("ready_for_public", "alice", nil, ["practice_posts": "3"]),
        ("step_up_to_short_updates", "bob", "good", [:]), ("updates_done", "alice", nil, [:]),
        ("step_up_to_long_form", "dana", "now the why", [:]), ("long_form_done", "alice", nil, [:]),
        ("step_up_to_dialogue", "bob", "ready", [:]), ("dialogue_done", "alice", nil, [:]),
    ]
    for (transition, actor, comment, data) in steps {
        let result = try await engine.fire(
            item: item.id, transition: transition, actor: actor, comment: comment, data: data)
        #expect(result.outcome == .moved, "\(transition)")
    }
    return try await engine.show(item.id)
}

@Suite("The engine on PostgreSQL")
struct ItemEngineTests {
    @Test func createSchedulesTheInitialStage() async throws {
        try await EngineFixture.run { fixture in
            let item = try await post(fixture.engine())
            #expect(item.stage == "listen" && item.revision == 1 && item.version == 1)
            #expect(item.dueAt == monday.addingTimeInterval(3 * 86_400))
            #expect(
                item.openTasks.map(\.label) == [
                    "1d before due", "at due", "overdue 1 of 2", "escalation to community_manager", "overdue 2 of 2",
                ])
            #expect(item.possibleTransitions.map(\.name) == ["start_draft", "withdraw"])
            let history = try await fixture.engine().history(item.id)
            #expect(history.map(\.kind) == ["create"])
            #expect(history.first?.actor == "carol" && history.first?.role == "community_manager")
        }
    }

    @Test func everyRefusalChangesNothing() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            let item = try await postInReview(engine)
            let before = try await fixture.historyCount(item.id)
            let attempts: [(PodiumError.Kind, String, () async throws -> FireResult)] = [
                (
                    .refused, "published is not possible from private_review",
                    {
                        try await engine.fire(
                            item: item.id, transition: "published", actor: "alice", data: ["url": "u"])
                    }
                ),
                (
                    .refused, "alice is not a coach on item \(item.id)",
                    {
                        try await engine.fire(
                            item: item.id, transition: "request_changes", actor: "alice", comment: "x")
                    }
                ),
                (
                    .refused, "request_changes requires: comment",
                    {
                        try await engine.fire(item: item.id, transition: "request_changes", actor: "bob")
                    }
                ),
                // Eve takes no part in the item: told, as for any item that does not exist, that
                // there is none.
                (
                    .notFound, "no item \(item.id)",
                    {
                        try await engine.fire(item: item.id, transition: "approve", actor: "eve")
                    }
                ),
                (
                    .conflict, "item \(item.id) changed: expected revision 1, it is at 3",
                    {
                        try await engine.fire(item: item.id, transition: "approve", actor: "bob", expectRevision: 1)
                    }
                ),
                (
                    .notFound, "no actor named mallory",
                    {
                        try await engine.fire(item: item.id, transition: "approve", actor: "mallory")
                    }
                ),
                (
                    .notFound, "no item 9999",
                    {
                        try await engine.fire(item: 9999, transition: "approve", actor: "bob")
                    }
                ),
            ]
            for (kind, message, attempt) in attempts {
                do {
                    _ = try await attempt()
                    Issue.record("expected a refusal: \(message)")
                } catch let error as PodiumError {
                    #expect(error.kind == kind, "\(error)")
                    #expect(error.message.contains(message), "\(error.message)")
                }
            }
            let after = try await engine.show(item.id)
            #expect(after.revision == item.revision && after.stage == "private_review")
            #expect(try await fixture.historyCount(item.id) == before)
        }
    }

    @Test func terminalItemsRefuseEveryTransition() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            let item = try await post(engine)
            _ = try await engine.fire(item: item.id, transition: "withdraw", actor: "alice", comment: "not now")
            let closed = try await engine.show(item.id)
            #expect(closed.closedAt != nil && closed.openTasks.isEmpty && closed.possibleTransitions.isEmpty)
            let error = await #expect(throws: PodiumError.self) {
                _ = try await engine.fire(item: item.id, transition: "start_draft", actor: "alice")
            }
            #expect(error?.kind == .refused && error?.message.contains("is closed") == true)
        }
    }

    @Test func fiftyConcurrentFiresGiveOneSuccessAndFortyNineConflicts() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            let item = try await postInReview(engine)
            let outcomes = await withTaskGroup(of: String.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        do {
                            _ = try await engine.fire(
                                item: item.id, transition: "approve", actor: "bob", expectRevision: item.revision)
                            return "moved"
                        } catch let error as PodiumError {
                            return error.kind == .conflict ? "conflict" : "other: \(error)"
                        } catch {
                            return "other: \(error)"
                        }
                    }
                }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == "moved" }.count == 1)
            #expect(outcomes.filter { $0 == "conflict" }.count == 49, "\(Set(outcomes))")
            #expect(try await fixture.engine().history(item.id).filter { $0.transition == "approve" }.count == 1)
        }
    }

    @Test func concurrentFiresWithoutARevisionAreRefusedOnceTheItemMoved() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            let item = try await postInReview(engine)
            let refusals = await withTaskGroup(of: PodiumError.Kind?.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await engine.fire(item: item.id, transition: "approve", actor: "bob")
                            return nil
                        } catch let error as PodiumError {
                            return error.kind
                        } catch {
                            return .database
                        }
                    }
                }
                return await group.reduce(into: [PodiumError.Kind?]()) { $0.append($1) }
            }
            #expect(refusals.filter { $0 == nil }.count == 1)
            #expect(refusals.filter { $0 == .refused }.count == 19)
        }
    }

    /// A fire reads without a lock and writes only if the item's revision is unchanged. Three
    /// approvers racing on a transition that needs all three: whoever writes second finds the
    /// revision moved, decides again on the new state, and so the last approval always moves the
    /// item. Without the check each could count only itself and the item would never move.
    @Test func concurrentApprovalsAreAllCountedAndTheLastOneMoves() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            for _ in 0..<4 {
                let item = try await enrolmentReadyToGraduate(engine)
                let outcomes = try await withThrowingTaskGroup(of: FireResult.Outcome.self) { group in
                    for approver in ["bob", "dana", "carol"] {
                        group.addTask {
                            try await engine.fire(
                                item: item.id, transition: "graduate", actor: approver, comment: "yes"
                            )
                            .outcome
                        }
                    }
                    return try await group.reduce(into: [FireResult.Outcome]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 == .moved }.count == 1, "\(outcomes)")
                #expect(outcomes.filter { $0 == .approvalRecorded }.count == 2, "\(outcomes)")
                #expect(try await engine.show(item.id).stage == "graduated")
            }
        }
    }

    @Test func concurrentFiresWithOneIdempotencyKeyWriteOnce() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            let item = try await post(engine)
            let results = try await withThrowingTaskGroup(of: FireResult.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await engine.fire(
                            item: item.id, transition: "start_draft", actor: "alice", idempotencyKey: "once")
                    }
                }
                return try await group.reduce(into: [FireResult]()) { $0.append($1) }
            }
            #expect(results.filter { !$0.replayed }.count == 1)
            #expect(Set(results.map { $0.entry?.id }).count == 1)
            #expect(try await fixture.historyCount(item.id) == 2)
        }
    }

    @Test func theSameIdempotencyKeyFiresOnce() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            let item = try await post(engine)
            let first = try await engine.fire(
                item: item.id, transition: "start_draft", actor: "alice", idempotencyKey: "k-1")
            let second = try await engine.fire(
                item: item.id, transition: "start_draft", actor: "alice", idempotencyKey: "k-1")
            #expect(!first.replayed && second.replayed)
            #expect(first.entry?.id == second.entry?.id)
            #expect(try await fixture.historyCount(item.id) == 2)
            #expect(second.revision == first.revision)
        }
    }

    @Test func approvalsByTheSamePersonCountOnce() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            let item = try await enrolmentReadyToGraduate(engine)
            let once = try await engine.fire(item: item.id, transition: "graduate", actor: "bob", comment: "yes")
            let twice = try await engine.fire(item: item.id, transition: "graduate", actor: "bob", comment: "yes!")
            #expect(once.outcome == .approvalRecorded && twice.outcome == .approvalRecorded)
            #expect(twice.approval?.approvers == ["bob"] && twice.approval?.needed == 3)
            _ = try await engine.fire(item: item.id, transition: "graduate", actor: "dana", comment: "yes")
            let own = await #expect(throws: PodiumError.self) {
                _ = try await engine.fire(item: item.id, transition: "graduate", actor: "alice", comment: "me too")
            }
            #expect(own?.kind == .refused)
            let moved = try await engine.fire(item: item.id, transition: "graduate", actor: "carol", comment: "welcome")
            #expect(moved.outcome == .moved && moved.stage == "graduated" && moved.isClosed)
            // The approval that completes the count is the move itself, recorded in history.
            let approvals = try await fixture.pool.query(
                "select count(*) as n from approvals where item_id = \(item.id)")
            #expect(try approvals.single().decode(Int.self, "n") == 2)
        }
    }

    /// Leaving a stage deletes its tasks that were never attempted and keeps the others (one
    /// running, one waiting to retry, one held after a partial delivery) as cancelled. Workers are woken only for tasks due within
    /// the wake horizon; later ones they find by polling. NOTIFYs arrive in commit order, so a
    /// sentinel proves none came before it.
    @Test func movingRetiresTheOldTasksAndWakesWorkersOnlyForTasksDueSoon() async throws {
        try await EngineFixture.run { fixture in
            let listener = try await PostgresListener.connect(fixture.configuration)
            try await listener.listen(ItemEngine.taskChannel)
            let engine = fixture.engine()
            let item = try await post(engine)
            try await fixture.pool.execute(
                """
                update tasks set status = case when sequence = 1 then 'running' else 'pending' end, attempts = 1
                 where item_id = \(item.id) and kind = 'reminder' and sequence in (1, 2)
                """)
            // Held for working hours after reaching one recipient: pending, attempts back to 0,
            // but with a delivery that must keep its task.
            try await fixture.pool.execute(
                """
                insert into deliveries (task_id, attempt, channel, recipient, idempotency_key, status, at)
                select id, 1, 'log', 'alice', idempotency_key || ':alice', 'delivered', now() from tasks
                 where item_id = \(item.id) and kind = 'reminder' and sequence = 3
                """)
            _ = try await engine.fire(item: item.id, transition: "start_draft", actor: "alice")
            try await fixture.pool.execute("select pg_notify(\(ItemEngine.taskChannel), 'sentinel')")
            var notes = listener.notifications.makeAsyncIterator()
            #expect(try await notes.next()?.payload == "sentinel")
            let statuses = try await fixture.pool.query(
                "select stage, status, count(*) as n from tasks where item_id = \(item.id) group by 1, 2 order by 1, 2")
            let summary = try statuses.map {
                "\(try $0.decode(String.self, "stage")):\(try $0.decode(String.self, "status")):\(try $0.decode(Int.self, "n"))"
            }
            #expect(summary == ["draft:pending:6", "listen:cancelled:3"])
            // Publishing in an hour puts the review's reminders in the past: due now, so wake.
            _ = try await engine.fire(
                item: item.id, transition: "submit", actor: "alice",
                data: ["body": "Three things", "publish_at": "2026-03-02T10:00:00Z"])
            #expect(try await notes.next()?.payload == "\(item.id)")
            await listener.close()
        }
    }

    @Test func assignAndCommentAreRecorded() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            let item = try await post(engine)
            let entry = try await engine.assign(item: item.id, role: "coach", to: "dana", actor: "carol")
            #expect(entry.kind == "assign" && entry.actor == "carol" && entry.comment == "dana is now a coach")
            let full = await #expect(throws: PodiumError.self) {
                _ = try await engine.assign(item: item.id, role: "coach", to: "eve", actor: "carol")
            }
            #expect(full?.message.contains("at most 2") == true)
            let outsider = await #expect(throws: PodiumError.self) {
                try await engine.comment(item: item.id, actor: "eve", text: "hi")
            }
            // Eve takes no part: for her there is no such item.
            #expect(outsider?.kind == .notFound && outsider?.message == "no item \(item.id)")
            try await engine.comment(item: item.id, actor: "dana", text: "Happy to help with this one.")
            #expect(try await engine.show(item.id).comments.map(\.actor) == ["dana"])
        }
    }

    @Test func killedConnectionsNeverLeavePartialHistory() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            var ids: [Int] = []
            for _ in 0..<30 { ids.append(try await post(engine).id) }
            let admin = try await PostgresConnection.connect(fixture.configuration)
            let killer = Task {
                var killed = 0
                while !Task.isCancelled {
                    let rows = try await admin.query(
                        """
                        select count(pg_terminate_backend(pid)) as n from pg_stat_activity
                         where datname = current_database() and application_name = 'podium' and pid <> pg_backend_pid()
                        """)
                    killed += try rows.single().decode(Int.self, "n")
                    // Often enough to hit every kind of statement, rarely enough that work gets done.
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 10...40)))
                }
                return killed
            }
            // Each item goes round the review loop four times, then is approved: 11 fires each.
            var sequence: [(String, String, String?, [String: String])] = [("start_draft", "alice", nil, [:])]
            for round in 0..<4 {
                sequence.append(
                    ("submit", "alice", nil, ["body": "draft \(round)", "publish_at": "2026-03-10T09:00:00Z"]))
                sequence.append(("request_changes", "bob", "round \(round)", [:]))
            }
            sequence += [("submit", "alice", nil, ["body": "final"]), ("approve", "bob", nil, [:])]
            let steps = sequence
            await withTaskGroup(of: Void.self) { group in
                for id in ids {
                    group.addTask {
                        for (index, step) in steps.enumerated() {
                            for _ in 0..<200 {
                                do {
                                    _ = try await engine.fire(
                                        item: id, transition: step.0, actor: step.1, comment: step.2, data: step.3,
                                        idempotencyKey: "\(id)-\(index)")
                                    break
                                } catch {
                                    try? await Task.sleep(for: .milliseconds(5))
                                }
                            }
                        }
                    }
                }
            }
            killer.cancel()
            let killed = (try? await killer.value) ?? 0
            #expect(killed > 0, "the test must actually kill connections")
            // A backend terminated by the last round may not have closed its socket yet, so the
            // pool could still hand out its connection once. Use every pooled connection until
            // one round trip succeeds on each (a dead one is dropped when it fails), so the reads
            // below meet only live connections, without guessing how long the kill takes.
            var live = 0
            while live < 8 {
                do {
                    _ = try await fixture.pool.query("select 1")
                    live += 1
                } catch let error as PostgresError where error.isConnectionLoss {
                    live = 0
                }
            }
            #expect(try await ConsistencyCheck(pool: fixture.pool).run().isEmpty)
            for id in ids {
                let history = try await engine.history(id)
                #expect(history.map(\.kind).first == "create")
                #expect(history.compactMap(\.transition) == steps.map(\.0), "item \(id)")
            }
        }
    }
}
