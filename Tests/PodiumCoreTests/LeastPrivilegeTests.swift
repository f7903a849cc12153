import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine

@Suite("The database enforces append-only history and least privilege")
struct LeastPrivilegeTests {
    /// Not even the schema's owner can edit or delete a history row: a trigger refuses.
    @Test func historyCannotBeRewrittenEvenByTheOwner() async throws {
        try await EngineFixture.run { fixture in
            let item = try await fixture.item("start-small", title: "Append-only")
            for statement: PostgresQuery in [
                "update history set comment = 'rewritten' where item_id = \(item.id)",
                "delete from history where item_id = \(item.id)",
            ] {
                let error = await #expect(throws: PostgresError.self) { try await fixture.pool.execute(statement) }
                #expect(error?.sqlState == .insufficientPrivilege)
                #expect(error?.message.contains("append-only") == true)
            }
            #expect(try await fixture.historyCount(item.id) == 1)
        }
    }

    /// A login role in `podium_app` runs Podium (create, fire, worker tables) but cannot change
    /// the schema, rewrite history or deliveries, or truncate them.
    @Test func theApplicationRoleWritesRowsButNotTheSchemaOrTheRecord() async throws {
        try await EngineFixture.run { fixture in
            let role = "podium_app_test_\(UInt32.random(in: 0...UInt32.max))"
            try await fixture.pool.execute("create role \(identifier: role) login in role podium_app")
            do {
                let pool = PostgresPool(configuration: fixture.configuration.withUser(role))
                let engine = ItemEngine(
                    pool: pool, time: FixedTime(Date(timeIntervalSince1970: 1_772_442_000)), door: .cli)
                let item = try await engine.create(
                    workflow: "exec-post", title: "Least privilege", author: "carol",
                    participants: [
                        Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob"),
                    ], data: [:])
                let fired = try await engine.fire(item: item.id, transition: "start_draft", actor: "alice")
                #expect(fired.stage == "draft")
                for statement: PostgresQuery in [
                    "create table sneaky (id int)", "drop table items", "alter table history add column note text",
                    "update history set comment = 'rewritten'", "delete from history", "truncate history",
                    "update deliveries set status = 'failed'", "delete from deliveries",
                    "delete from podium_schema_migrations",
                ] {
                    let error = await #expect(throws: PostgresError.self, "\(statement.sql)") {
                        try await pool.execute(statement)
                    }
                    #expect(error?.sqlState == .insufficientPrivilege, "\(statement.sql)")
                }
                await pool.shutdown()
            } catch {
                try await fixture.pool.execute("drop role \(identifier: role)")
                throw error
            }
            try await fixture.pool.execute("drop role \(identifier: role)")
        }
    }
}
