import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine

@Suite("A read-only or full database")
struct ReadOnlyDatabaseTests {
    /// A database switched to read-only (a failover replica, a full disk an operator froze)
    /// refuses the transition as a database error, exit 6, and nothing is half written.
    @Test func refusesTransitionsWithTheDatabaseCodeAndChangesNothing() async throws {
        try await EngineFixture.run { fixture in
            let item = try await fixture.item("exec-post", title: "Frozen")
            let database = try await fixture.pool.query("select current_database() as name").single()
                .decode(String.self, "name")
            try await fixture.pool.execute(
                "alter database \(identifier: database) set default_transaction_read_only = on")
            try await expectFailedFire(
                on: item.id, in: fixture, mentioning: "read-only",
                thenUndo: "alter database \(identifier: database) reset default_transaction_read_only")
        }
    }

    /// When a write fails for lack of disk space PostgreSQL raises SQLSTATE 53100 and rolls the
    /// transaction back. A trigger raises exactly that error on the history insert of the fire's
    /// one write statement: the fire exits 6 and leaves no trace.
    @Test func aFullDiskFailsTheTransitionWithTheDatabaseCodeAndChangesNothing() async throws {
        try await EngineFixture.run { fixture in
            let item = try await fixture.item("exec-post", title: "No space left")
            try await fixture.pool.withConnection { db in
                try await db.run(
                    TrustedSQLScript(
                        shippedSQL: """
                            create function disk_is_full() returns trigger language plpgsql as
                                $$ begin raise exception 'could not extend file: No space left on device'
                                   using errcode = 'disk_full'; end $$;
                            create trigger disk_is_full before insert on history
                                for each row execute function disk_is_full();
                            """, origin: "test setup"))
            }
            try await expectFailedFire(
                on: item.id, in: fixture, mentioning: "No space left", thenUndo: "drop trigger disk_is_full on history")
            let tasks = try await fixture.pool.query(
                "select count(*) as n from tasks where item_id = \(item.id) and status = 'cancelled'")
            #expect(try tasks.single().decode(Int.self, "n") == 0, "the old stage's tasks are still pending")
        }
    }

    /// Fires `start_draft` on `item` through the binary, undoes the fault, then expects a database
    /// error (exit 6) that mentions `expected`, and the item untouched.
    private func expectFailedFire(
        on item: Int, in fixture: EngineFixture, mentioning expected: String, thenUndo undo: PostgresQuery
    ) async throws {
        let fired = try await PodiumBinary.run(
            ["item", "fire", String(item), "start_draft", "--as", "alice"],
            environment: ["DATABASE_URL": fixture.configuration.conninfoIncludingPassword()])
        try await fixture.pool.execute(undo)
        #expect(fired.exitCode == 6, "\(fired.stderr)")
        #expect(fired.stderr.contains(expected), "\(fired.stderr)")
        #expect(try await fixture.historyCount(item) == 1)
        #expect(try await fixture.engine().show(item).stage == "listen")
    }
}
