import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine

@Suite("podium check finds each broken invariant")
struct ConsistencyCheckTests {
    /// Each invariant is broken on purpose (the way a bug or a hand edit would) and named.
    @Test func eachInvariantIsDetected() async throws {
        try await EngineFixture.run { fixture in
            let item = try await fixture.item("exec-post", title: "Broken on purpose")
            #expect(try await ConsistencyCheck(pool: fixture.pool).run().isEmpty)
            let tasks = try await fixture.pool.query(
                "select id from tasks where item_id = \(item.id) and kind = 'reminder' order by id limit 2"
            ).map { try $0.decode(Int.self, "id") }
            try await fixture.pool.execute("update tasks set status = 'done' where id = \(tasks[0])")
            try await fixture.pool.execute("update tasks set status = 'dead', last_error = null where id = \(tasks[1])")
            try await fixture.pool.execute("update items set stage = 'publish' where id = \(item.id)")
            let other = try await fixture.item("exec-post", title: "Another item")
            try await fixture.pool.execute(
                """
                update tasks set visit_id = (select visit_id from items where id = \(other.id)), status = 'running',
                                 lease_owner = 'worker-1', lease_until = now() + interval '1 minute'
                 where id = (select max(id) from tasks where item_id = \(item.id))
                """)
            let violations = try await ConsistencyCheck(pool: fixture.pool).run()
            let named = Set(violations.map(\.invariant))
            #expect(named.contains("a reminder or escalation is done but no message of it was delivered"))
            #expect(named.contains("a task is dead without a reason"))
            #expect(named.contains("an item's stage differs from the stage its history ends in"))
            #expect(named.contains("a task's visit is not a history row of its item"))
            #expect(named.contains("an open task belongs to an earlier visit of its item"))
            #expect(violations.allSatisfy { $0.subject == "items" && $0.ids == [item.id] })
        }
    }

    /// Deliveries have no foreign keys: an orphan record is a violation naming the delivery.
    @Test func orphanDeliveriesAreDetected() async throws {
        try await EngineFixture.run { fixture in
            let item = try await fixture.item("exec-post", title: "Delivered to nobody")
            let task = try await fixture.pool.query("select min(id) as id from tasks where item_id = \(item.id)")
                .single().decode(Int.self, "id")
            let rows = try await fixture.pool.query(
                """
                insert into deliveries (task_id, attempt, channel, recipient, idempotency_key, status, at)
                values (\(task + 1_000_000), 1, 'log', 'alice', 'k1', 'delivered', now()),
                       (\(task), 1, 'log', 'nobody-by-that-name', 'k2', 'delivered', now())
                returning id
                """
            ).map { try $0.decode(Int.self, "id") }
            let violations = try await ConsistencyCheck(pool: fixture.pool).run()
            let named = Dictionary(uniqueKeysWithValues: violations.map { ($0.invariant, $0) })
            #expect(named["a delivery's task does not exist"]?.ids == [rows[0]])
            #expect(named["a delivery's recipient is not an actor"]?.ids == [rows[1]])
            #expect(violations.allSatisfy { $0.subject == "deliveries" })
        }
    }
}
