import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine

@Suite("A read-only database")
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
            let environment = ["DATABASE_URL": fixture.configuration.conninfoIncludingPassword()]
            let fired = try await PodiumBinary.run(
                ["item", "fire", String(item.id), "start_draft", "--as", "alice"], environment: environment)
            try await fixture.pool.execute("alter database \(identifier: database) reset default_transaction_read_only")
            #expect(fired.exitCode == 6, "\(fired.stderr)")
            #expect(fired.stderr.contains("read-only"), "\(fired.stderr)")
            #expect(try await fixture.historyCount(item.id) == 1)
            #expect(try await fixture.engine().show(item.id).stage == "listen")
        }
    }
}
