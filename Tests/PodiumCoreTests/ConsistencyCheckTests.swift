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
                update tasks set visit_id = (select visit_id from items where id = \(other.id))
                 where id = (select max(id) from tasks where item_id = \(item.id))
                """)
            let violations = try await ConsistencyCheck(pool: fixture.pool).run()
            let named = Set(violations.map(\.invariant))
            #expect(named.contains("a reminder or escalation is done but no message of it was delivered"))
            #expect(named.contains("a task is dead without a reason"))
            #expect(named.contains("an item's stage differs from the stage its history ends in"))
            #expect(named.contains("a task's visit is not a history row of its item"))
            #expect(violations.allSatisfy { $0.itemIDs == [item.id] })
        }
    }
}
