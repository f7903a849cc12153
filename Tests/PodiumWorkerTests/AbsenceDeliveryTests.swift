import Foundation
import LibPQ
import Logging
import PodiumCore
import PodiumTestSupport
import PodiumWorker
import Testing
import WorkflowEngine

/// Reminders for someone away: to the person standing in, or held until they are back.
@Suite("Reminders while someone is away")
struct AbsenceDeliveryTests {
    static let tuesday = DataDate.parse("2026-03-03T10:00:00Z")!

    /// A post for Alice (executive) whose listen-stage reminder falls due on Thursday.
    static func setUp(_ fixture: EngineFixture, file: String) async throws -> ItemView {
        for handle in ["alice", "dana"] {
            _ = try await ActorStore(pool: fixture.pool).update(
                handle, changes: ActorChanges(channel: "file:\(file)", workingHours: "always"), by: "carol")
        }
        return try await fixture.engine(at: tuesday).create(
            workflow: "exec-post", title: "A post", author: "carol",
            participants: [Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob")],
            data: [:])
    }

    @Test func theStandInHearsForThePersonAway() async throws {
        try await EngineFixture.run { fixture in
            let file = NSTemporaryDirectory() + "podium-standin-\(UUID().uuidString.prefix(8)).jsonl"
            let item = try await Self.setUp(fixture, file: file)
            _ = try await AbsenceStore(pool: fixture.pool, time: FixedTime(Self.tuesday)).away(
                "alice", from: nil, until: .instant(Self.tuesday.addingTimeInterval(10 * 86_400)), delegate: "dana",
                note: nil, by: "alice")
            let summary = try await worker(fixture.pool, at: Self.tuesday.addingTimeInterval(2 * 86_400)).runOnce()
            #expect(summary.delivered == 1)
            let message = try #require(try messages(in: file).first)
            #expect(message["recipient"] as? String == "dana")
            #expect(message["on_behalf_of"] as? String == "alice")
            #expect(message["command"] as? String == "podium item fire \(item.id) start_draft --as dana")
            // Dana may do it: recorded as done for Alice.
            let fired = try await fixture.engine(at: Self.tuesday.addingTimeInterval(2 * 86_400)).fire(
                item: item.id, transition: "start_draft", actor: "dana")
            #expect(fired.entry?.actor == "dana" && fired.entry?.onBehalfOf == "alice")
            // A command names what its transition asks for, to fill in: submit wants a body and a date.
            let thursday = Self.tuesday.addingTimeInterval(2 * 86_400)
            try await fixture.pool.execute(
                """
                insert into tasks (item_id, visit_id, kind, stage, recipient_role, sequence, run_at, idempotency_key,
                                   label, created_at)
                select id, visit_id, 'reminder', stage, 'executive', 9, \(thursday), 'draft-reminder', 'at due', \(thursday)
                  from items where id = \(item.id)
                """)
            _ = try await worker(fixture.pool, at: thursday).runOnce()
            let draft = try messages(in: file).first { $0["idempotency_key"] as? String == "draft-reminder:dana" }
            #expect(
                draft?["command"] as? String
                    == "podium item fire \(item.id) submit --as dana --set body=... --set publish_at=...",
                "\(String(describing: draft))")
        }
    }

    /// Away with nobody standing in: the reminder waits until she is back, and `stuck` says so.
    @Test func withNobodyStandingInTheReminderWaitsUntilThePersonIsBack() async throws {
        try await EngineFixture.run { fixture in
            let file = NSTemporaryDirectory() + "podium-away-\(UUID().uuidString.prefix(8)).jsonl"
            let item = try await Self.setUp(fixture, file: file)
            let back = DataDate.parse("2026-03-09T08:00:00Z")!
            _ = try await AbsenceStore(pool: fixture.pool, time: FixedTime(Self.tuesday)).away(
                "alice", from: nil, until: .instant(back), delegate: nil, note: "conference", by: "carol")
            let thursday = Self.tuesday.addingTimeInterval(2 * 86_400)
            let held = try await worker(fixture.pool, at: thursday).runOnce()
            #expect(held.held == 1 && held.delivered == 0)
            #expect(try messages(in: file).isEmpty)
            let task = try await fixture.pool.query(
                "select run_at from tasks where item_id = \(item.id) and label = '1d before due'"
            ).single()
            #expect(try task.decode(Date.self, "run_at") == back)
            let stuck = try await StuckFinder(pool: fixture.pool, time: FixedTime(thursday)).find()
            let reason = try #require(stuck.first { $0.itemID == item.id }?.reasons.first { $0.kind == "no_actor" })
            #expect(
                reason.message == "alice (executive) is away until 2026-03-09T08:00:00Z and nobody stands in",
                "\(reason.message)")
            // Back early, on Friday: what waited reaches her at once.
            let friday = DataDate.parse("2026-03-06T09:00:00Z")!
            _ = try await AbsenceStore(pool: fixture.pool, time: FixedTime(friday)).back("alice", by: "alice")
            let released = try await fixture.pool.query(
                "select run_at from tasks where item_id = \(item.id) and label = '1d before due'"
            ).single()
            #expect(try released.decode(Date.self, "run_at") == friday)
            let delivered = try await worker(fixture.pool, at: friday).runOnce()
            #expect(delivered.delivered >= 1)
            let warning = try messages(in: file).first { $0["label"] as? String == "1d before due" }
            #expect(warning?["recipient"] as? String == "alice")
        }
    }
}
