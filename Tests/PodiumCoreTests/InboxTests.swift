import Foundation
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine

@Suite("My tasks")
struct InboxTests {
    /// What waits on a person comes overdue first, then by due time; items where they take part
    /// but may not act now are listed apart; items that are not theirs are not listed at all.
    @Test func overdueFirstThenByDueTimeAndTheRestApart() async throws {
        try await EngineFixture.run { fixture in
            let start = Date(timeIntervalSince1970: 1_772_442_000)
            let people = [Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob")]
            func post(_ title: String, createdDaysAfterStart days: Double) async throws -> Int {
                let engine = fixture.engine(at: start.addingTimeInterval(days * 86_400))
                let item = try await engine.create(
                    workflow: "exec-post", title: title, author: "carol", participants: people, data: [:])
                return item.id
            }
            let later = try await post("due later", createdDaysAfterStart: 2)
            let sooner = try await post("due sooner", createdDaysAfterStart: 1)
            let overdue = try await post("overdue", createdDaysAfterStart: -10)
            let waitingOnBob = try await post("in review", createdDaysAfterStart: 0)
            let engine = fixture.engine(at: start.addingTimeInterval(1.5 * 86_400))
            _ = try await engine.fire(item: waitingOnBob, transition: "start_draft", actor: "alice")
            _ = try await engine.fire(
                item: waitingOnBob, transition: "submit", actor: "alice",
                data: ["body": "b", "publish_at": "2026-03-20T09:00:00Z"])
            _ = try await engine.create(
                workflow: "exec-post", title: "not hers", author: "carol",
                participants: [Participant(role: "executive", actor: "dana")], data: [:])

            let alice = try await engine.inbox(for: ActorIdentity(handle: "alice"))
            #expect(alice.waiting.map(\.item.id) == [overdue, sooner, later])
            #expect(alice.waiting.allSatisfy { $0.actions.first?.name == "start_draft" })
            #expect(alice.following.map(\.item.id) == [waitingOnBob])
            let bob = try await engine.inbox(for: ActorIdentity(handle: "bob"))
            #expect(bob.waiting.map(\.item.id) == [waitingOnBob])
            #expect(bob.waiting.first?.actions.map(\.name).sorted() == ["approve", "request_changes"])
            #expect(Set(bob.following.map(\.item.id)) == [overdue, sooner, later])
        }
    }
}
