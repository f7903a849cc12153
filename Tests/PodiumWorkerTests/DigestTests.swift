import Foundation
import LibPQ
import Logging
import PodiumCore
import PodiumTestSupport
import PodiumWorker
import Testing
import WorkflowEngine

/// Daily digests: a person who chose one gets one message a day at their time on their working
/// days, instead of a reminder for each item; escalations still come at once; a pause holds all.
@Suite("Daily digests and pauses")
struct DigestTests {
    /// Tuesday 3 March 2026, 10:00 UTC (11:00 in Paris).
    static let tuesday = DataDate.parse("2026-03-03T10:00:00Z")!

    /// Alice (Paris, Mon-Fri) with `changes`, her messages in `file`, and `count` items of hers
    /// on two programs, each with one reminder due at `due`.
    static func setUp(
        _ fixture: EngineFixture, file: String, changes: ActorChanges, items count: Int, due: Date
    ) async throws -> [Int] {
        var changes = changes
        changes.channel = "file:\(file)"
        changes.workingHours = "Mon-Fri 09:00-18:00"
        _ = try await ActorStore(pool: fixture.pool).update("alice", changes: changes, by: "carol")
        var ids: [Int] = []
        for index in 0..<count {
            let item = try await fixture.item(index % 2 == 0 ? "exec-post" : "start-small", title: "Post \(index + 1)")
            try await fixture.pool.execute("update tasks set status = 'cancelled' where item_id = \(item.id)")
            try await fixture.pool.execute(
                """
                insert into tasks (item_id, visit_id, kind, stage, recipient_role, sequence, run_at, idempotency_key,
                                   label, created_at)
                select id, visit_id, 'reminder', stage, 'executive', 1, \(due), 'digest-test-' || id, 'at due', \(due)
                  from items where id = \(item.id)
                """)
            ids.append(item.id)
        }
        return ids
    }

    @Test func threeRemindersBecomeOneDigestAtHalfPastEight() async throws {
        try await EngineFixture.run { fixture in
            let file = NSTemporaryDirectory() + "podium-digest-\(UUID().uuidString.prefix(8)).jsonl"
            let ids = try await Self.setUp(
                fixture, file: file, changes: ActorChanges(delivery: .digest, digestAt: "08:30"), items: 3,
                due: Self.tuesday)
            let now = try await worker(fixture.pool, at: Self.tuesday).runOnce()
            #expect(now.delivered == 0, "nothing is sent alone: \(now)")
            #expect(try messages(in: file).isEmpty)
            // Wednesday 08:30 in Paris (CET) is 07:30 UTC: one digest task, keyed by person and time.
            let digest = try await fixture.pool.query(
                "select run_at, idempotency_key, status from tasks where kind = 'digest'"
            ).single()
            #expect(try digest.decode(Date.self, "run_at") == DataDate.parse("2026-03-04T07:30:00Z"))
            #expect(try digest.decode(String.self, "idempotency_key") == "digest-alice-2026-03-04T07:30:00Z")
            let reminders = try await fixture.pool.query(
                "select count(*) filter (where status = 'done') as done from tasks where idempotency_key like 'digest-test-%'"
            ).single()
            #expect(try reminders.decode(Int.self, "done") == 3)
            let early = try await worker(fixture.pool, at: DataDate.parse("2026-03-04T07:29:00Z")!).runOnce()
            #expect(early.delivered == 0)
            let morning = try await worker(fixture.pool, at: DataDate.parse("2026-03-04T07:30:00Z")!).runOnce()
            #expect(morning.delivered == 1)
            let sent = try messages(in: file)
            #expect(sent.count == 1)
            let message = try #require(sent.first)
            #expect(message["kind"] as? String == "digest" && message["recipient"] as? String == "alice")
            #expect(message["summary"] as? String == "3 items", "\(message)")
            let items = try #require(message["items"] as? [[String: Any]])
            #expect(Set(items.compactMap { $0["item_id"] as? Int }) == Set(ids))
            #expect(Set(items.compactMap { $0["workflow"] as? String }) == ["exec-post", "start-small"])
            let waiting = try await fixture.pool.query(
                "select count(*) as n from digest_entries where sent_at is null"
            ).single()
            #expect(try waiting.decode(Int.self, "n") == 0)
        }
    }

    /// A digest lists only what is still open in the stage its reminder was about: when every
    /// item moved on, no message goes out.
    @Test func aDigestOfItemsThatMovedOnSendsNothing() async throws {
        try await EngineFixture.run { fixture in
            let file = NSTemporaryDirectory() + "podium-digest-\(UUID().uuidString.prefix(8)).jsonl"
            let ids = try await Self.setUp(
                fixture, file: file, changes: ActorChanges(delivery: .digest, digestAt: "08:30"), items: 1,
                due: Self.tuesday)
            _ = try await worker(fixture.pool, at: Self.tuesday).runOnce()
            _ = try await fixture.engine(at: Self.tuesday).fire(item: ids[0], transition: "start_draft", actor: "alice")
            let morning = try await worker(fixture.pool, at: DataDate.parse("2026-03-04T07:30:00Z")!).runOnce()
            #expect(morning.delivered == 0 && morning.obsolete == 1, "\(morning)")
            #expect(try messages(in: file).isEmpty)
        }
    }

    /// A reminder falling due on a Friday afternoon waits for Monday's digest, not Saturday's.
    @Test func theDigestComesOnAWorkingDay() async throws {
        try await EngineFixture.run { fixture in
            let file = NSTemporaryDirectory() + "podium-digest-\(UUID().uuidString.prefix(8)).jsonl"
            let friday = DataDate.parse("2026-03-06T15:00:00Z")!
            _ = try await Self.setUp(
                fixture, file: file, changes: ActorChanges(delivery: .digest, digestAt: "07:45"), items: 1, due: friday)
            _ = try await worker(fixture.pool, at: friday).runOnce()
            let digest = try await fixture.pool.query("select run_at from tasks where kind = 'digest'").single()
            #expect(try digest.decode(Date.self, "run_at") == DataDate.parse("2026-03-09T06:45:00Z"))
        }
    }

    /// A pause holds every message, escalations too, until it ends.
    @Test func aPauseHoldsEverythingUntilItEnds() async throws {
        try await EngineFixture.run { fixture in
            let file = NSTemporaryDirectory() + "podium-pause-\(UUID().uuidString.prefix(8)).jsonl"
            let until = DataDate.parse("2026-03-05T09:00:00Z")!
            _ = try await Self.setUp(
                fixture, file: file, changes: ActorChanges(pausedUntil: .instant(until)), items: 1, due: Self.tuesday)
            let paused = try await worker(fixture.pool, at: Self.tuesday).runOnce()
            #expect(paused.held == 1 && paused.delivered == 0)
            let held = try await fixture.pool.query(
                "select run_at from tasks where idempotency_key like 'digest-test-%'"
            ).single()
            #expect(try held.decode(Date.self, "run_at") == until)
            let after = try await worker(fixture.pool, at: until).runOnce()
            #expect(after.delivered == 1)
        }
    }

    /// Escalations bypass the digest: the deadline has passed and someone else must step in.
    @Test func escalationsComeAtOnceEvenWithADigest() async throws {
        try await EngineFixture.run { fixture in
            let file = NSTemporaryDirectory() + "podium-escalate-\(UUID().uuidString.prefix(8)).jsonl"
            let ids = try await Self.setUp(
                fixture, file: file, changes: ActorChanges(delivery: .digest), items: 1, due: Self.tuesday)
            try await fixture.pool.execute(
                "update tasks set kind = 'escalation', label = 'escalation to executive' where item_id = \(ids[0])")
            let now = try await worker(fixture.pool, at: Self.tuesday).runOnce()
            #expect(now.delivered == 1)
            #expect(try messages(in: file).first?["kind"] as? String == "escalation")
        }
    }

    /// A paused person's digest waits for the pause to end, and `podium check` holds with
    /// digests about (tasks of a person, not of an item).
    @Test func aPausedPersonsDigestWaits() async throws {
        try await EngineFixture.run { fixture in
            let file = NSTemporaryDirectory() + "podium-digest-\(UUID().uuidString.prefix(8)).jsonl"
            _ = try await Self.setUp(
                fixture, file: file, changes: ActorChanges(delivery: .digest, digestAt: "08:30"), items: 2,
                due: Self.tuesday)
            _ = try await worker(fixture.pool, at: Self.tuesday).runOnce()
            let noon = DataDate.parse("2026-03-04T12:00:00Z")!
            _ = try await ActorStore(pool: fixture.pool, time: FixedTime(Self.tuesday)).update(
                "alice", changes: ActorChanges(workingHours: "always", pausedUntil: .instant(noon)), by: "alice")
            let alice = try await ActorStore(pool: fixture.pool).find("alice")
            #expect(alice.delivery == .digest && alice.digestAt == "08:30", "another change kept the digest: \(alice)")
            let slot = DataDate.parse("2026-03-04T07:30:00Z")!
            let waiting = try await worker(fixture.pool, at: slot).runOnce()
            #expect(waiting.held == 1 && waiting.delivered == 0, "\(waiting)")
            let digest = try await fixture.pool.query("select run_at from tasks where kind = 'digest'").single()
            #expect(try digest.decode(Date.self, "run_at") == noon)
            #expect(try await ConsistencyCheck(pool: fixture.pool).run().isEmpty)
            let after = try await worker(fixture.pool, at: noon).runOnce()
            #expect(after.delivered == 1)
            #expect(try messages(in: file).first?["kind"] as? String == "digest")
        }
    }
}
