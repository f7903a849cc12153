import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine

/// Takes a fresh start-small enrolment to feedback: alice practised, coaches bob and dana give
/// feedback; `graduate` needs all of them (`approvals: all`).
private func inFeedback(_ engine: ItemEngine) async throws -> ItemView {
    let item = try await engine.create(
        workflow: "start-small", title: "Dana's journey", author: "carol",
        participants: [
            Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob"),
            Participant(role: "coach", actor: "dana"),
        ], data: [:])
    _ = try await engine.fire(
        item: item.id, transition: "ready_for_public", actor: "alice", data: ["practice_posts": "3"])
    return item
}

/// The rules live in the decider; the store, `item show` and `stuck` ask it, and what people did
/// is in the timeline.
@Suite("One decider, by every path through PostgreSQL")
struct OneDeciderTests {
    @Test func anExecutiveCannotMakeHerselfCoachNorPassHerOwnReview() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            let item = try await postInReview(engine)
            await #expect(throws: PodiumError.self) {
                _ = try await engine.assign(item: item.id, role: "coach", to: "alice", actor: "alice")
            }
            do {
                _ = try await engine.assign(item: item.id, role: "coach", to: "alice", actor: "alice")
            } catch let error as PodiumError {
                #expect(error.kind == .refused)
                #expect(
                    error.message == "alice may not assign coach on item \(item.id); community_manager or an admin may")
            }
            // Naming people on a new item is assigning them too.
            do {
                _ = try await engine.create(
                    workflow: "exec-post", title: "My own post", author: "alice",
                    participants: [Participant(role: "coach", actor: "alice")], data: [:])
                Issue.record("alice named herself coach on a new item")
            } catch let error as PodiumError {
                #expect(error.message == "alice may not name coach on a new item; community_manager or an admin may")
            }
            // The community manager may assign her; she still cannot approve her own draft.
            let entry = try await engine.assign(item: item.id, role: "coach", to: "alice", actor: "carol")
            #expect(entry.role == "community_manager")
            do {
                _ = try await engine.fire(item: item.id, transition: "approve", actor: "alice")
                Issue.record("alice approved her own draft")
            } catch let error as PodiumError {
                #expect(error.kind == .refused)
                #expect(error.message.contains("cannot review or approve their own work"))
            }
            let shown = try await engine.show(item.id)
            #expect(shown.possibleTransitions.first { $0.name == "approve" }?.participants == ["bob"])
            #expect(shown.nextActors == ["alice", "bob"])
        }
    }

    /// An operator's move, a cancellation and a move back change where the item stands, not whose
    /// work it is: the drafter, also a coach, still cannot approve her own draft.
    @Test func operatorMovesDoNotLaunderWhoseWorkItIs() async throws {
        try await EngineFixture.run { fixture in
            try await fixture.pool.execute("update actors set roles = '{admin}' where handle = 'eve'")
            let engine = fixture.engine()
            let item = try await postInReview(engine)
            _ = try await engine.assign(item: item.id, role: "coach", to: "alice", actor: "carol")
            _ = try await engine.cancel(item: item.id, actor: "eve", reason: "paused")
            _ = try await engine.move(item: item.id, to: "private_review", actor: "eve", reason: "resumed")
            do {
                _ = try await engine.fire(item: item.id, transition: "approve", actor: "alice")
                Issue.record("alice approved her own draft after an operator's move")
            } catch let error as PodiumError {
                #expect(error.code == "refused.own_work", "\(error)")
            }
            let moved = try await engine.fire(item: item.id, transition: "approve", actor: "bob")
            #expect(moved.outcome == .moved)
        }
    }

    /// A stage that takes work over without reviewing it (open-door's answer, after triage) lets
    /// the person who moved it there act: an executive who also triages answers her own question.
    @Test func handingWorkOnIsNotAReview() async throws {
        try await EngineFixture.run { fixture in
            try await fixture.pool.execute("update actors set roles = '{community_manager}' where handle = 'alice'")
            let engine = fixture.engine()
            let item = try await engine.create(
                workflow: "open-door", title: "Why remote?", author: "carol",
                participants: [Participant(role: "executive", actor: "alice")], data: [:])
            _ = try await engine.fire(item: item.id, transition: "routine", actor: "alice")
            let shown = try await engine.show(item.id)
            #expect(
                shown.possibleTransitions.first { $0.name == "post_answer" }?.participants.contains("alice") == true)
        }
    }

    /// Nobody on the item holds the next role, but a person holds it globally: `next` names them.
    @Test func nextNamesGlobalHoldersWhenNoParticipantHoldsTheRole() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            let item = try await engine.create(
                workflow: "open-door", title: "A tough question", author: "carol",
                participants: [Participant(role: "executive", actor: "alice")], data: [:])
            let shown = try await engine.show(item.id)
            #expect(shown.assignee == "community_manager")
            #expect(shown.nextActors == ["carol"])
        }
    }

    @Test func approvalsAndCommentsAreInTheTimeline() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            let item = try await inFeedback(engine)
            try await engine.comment(item: item.id, actor: "bob", text: "Lead with the customer's words.")
            let first = try await engine.fire(item: item.id, transition: "graduate", actor: "bob", comment: "yes")
            #expect(first.outcome == .approvalRecorded)
            #expect(first.approval?.needed == 2)
            #expect(try await engine.show(item.id).approvals.first?.needed == 2)
            let history = try await engine.history(item.id)
            let kinds = history.map(\.kind)
            #expect(kinds == ["create", "transition", "comment", "approval"], "\(kinds)")
            #expect(history.last?.transition == "graduate" && history.last?.actor == "bob")
            #expect(history[2].comment == "Lead with the customer's words.")
            #expect(try await ConsistencyCheck(pool: fixture.pool).run().isEmpty)
        }
    }

    @Test func aCancelledItemSaysSoWithWhoAndWhy() async throws {
        try await EngineFixture.run { fixture in
            try await fixture.pool.execute("update actors set roles = '{admin}' where handle = 'eve'")
            let engine = fixture.engine()
            let item = try await postInReview(engine)
            _ = try await engine.cancel(item: item.id, actor: "eve", reason: "The executive left the company")
            let shown = try await engine.show(item.id)
            #expect(shown.cancellation?.actor == "eve")
            #expect(shown.cancellation?.reason == "The executive left the company")
            let listed = try await engine.list(includeClosed: true)
            #expect(listed.first { $0.id == item.id }?.cancelled == true)
        }
    }

    /// A key reused for another request is refused (exit 5), never answered with the first
    /// request's result; the same request replays.
    @Test func anIdempotencyKeyIsBoundToItsRequest() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine()
            let item = try await inFeedback(engine)
            let first = try await engine.fire(
                item: item.id, transition: "graduate", actor: "bob", comment: "yes", idempotencyKey: "k-1")
            #expect(first.outcome == .approvalRecorded && !first.replayed)
            let again = try await engine.fire(
                item: item.id, transition: "graduate", actor: "bob", comment: "yes", idempotencyKey: "k-1")
            #expect(again.outcome == .approvalRecorded && again.replayed)
            #expect(again.approval?.approvers == ["bob"] && again.approval?.needed == 2)
            do {
                _ = try await engine.fire(
                    item: item.id, transition: "graduate", actor: "dana", comment: "yes", idempotencyKey: "k-1")
                Issue.record("the key answered another person's approval")
            } catch let error as PodiumError {
                #expect(error.kind == .conflict)
                #expect(error.message == "idempotency key k-1 was used for a different request on item \(item.id)")
            }
            #expect(try await engine.show(item.id).approvals.first?.approvers == ["bob"])
        }
    }
}
