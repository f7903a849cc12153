import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing

@Suite("Leases survive a worker whose clock ran ahead")
struct LeaseSkewTests {
    /// A worker with its clock two days ahead (the fault suite's clock jump) leases work until
    /// two days from now; if it dies holding it, the work used to wait those two days. A lease
    /// beyond a day from now is taken back, tasks and outbound events alike; a lease that is
    /// merely running is left alone.
    @Test func aLeaseTakenDaysAheadIsTakenBack() async throws {
        try await EngineFixture.run { fixture in
            let item = try await fixture.item("exec-post", title: "Leased by a clock two days fast")
            let now = Date(timeIntervalSince1970: 1_772_442_000)
            try await fixture.pool.execute(
                """
                insert into webhooks (url, created_by, created_at) values ('http://127.0.0.1:9/x', 'carol', \(now))
                """)
            _ = try await fixture.engine(at: now).fire(item: item.id, transition: "start_draft", actor: "alice")
            let twoDaysAhead = now.addingTimeInterval(2 * 86_400)
            let inAMinute = now.addingTimeInterval(60)
            try await fixture.pool.execute(
                """
                with ahead as (
                    update tasks set status = 'running', lease_owner = 'ahead', lease_until = \(twoDaysAhead)
                     where id = (select min(id) from tasks where item_id = \(item.id) and status = 'pending')
                ), running as (
                    update tasks set status = 'running', lease_owner = 'fine', lease_until = \(inAMinute)
                     where id = (select max(id) from tasks where item_id = \(item.id) and status = 'pending')
                )
                update event_outbox set status = 'running', lease_owner = 'ahead', lease_until = \(twoDaysAhead)
                """)
            let rescued = try await TaskQueue(pool: fixture.pool, owner: "rescuer").rescueExpiredLeases(now: now)
            #expect(rescued == 1 + 1, "one task, one event")
            let owners = try await fixture.pool.query(
                "select lease_owner from tasks where status = 'running' union all select lease_owner from event_outbox where status = 'running'"
            ).map { try $0.decode(String.self, "lease_owner") }
            #expect(owners == ["fine"])

            // A retry that worker scheduled days ahead is due again now.
            try await fixture.pool.execute("update event_outbox set run_at = \(twoDaysAhead)")
            #expect(try await TaskQueue(pool: fixture.pool, owner: "rescuer").rescueExpiredLeases(now: now) == 1)
            let due = try await fixture.pool.query("select run_at from event_outbox").single().decode(
                Date.self, "run_at")
            #expect(due == now)
        }
    }
}
