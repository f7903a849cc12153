import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Podium behind a real PgBouncer: in transaction mode (server sessions shared between clients
/// from one transaction to the next) with `PODIUM_PREPARED_STATEMENTS=off`, and in session mode
/// as it is. The database's sessions default to another zone and date style, so a session
/// setting that did not reach every server connection would show in the times read back.
@Suite("Behind PgBouncer")
struct PoolerTests {
    /// The fixture's database made to default to Chatham time and `SQL, DMY` dates.
    private static func unusualDefaults(_ fixture: EngineFixture) async throws {
        let database = try await fixture.pool.query("select current_database() as name").single()
            .decode(String.self, "name")
        try await fixture.pool.execute("alter database \(identifier: database) set timezone = 'Pacific/Chatham'")
        try await fixture.pool.execute("alter database \(identifier: database) set datestyle = 'SQL, DMY'")
    }

    private static func database(_ fixture: EngineFixture) async throws -> String {
        try await fixture.pool.query("select current_database() as name").single().decode(String.self, "name")
    }

    /// Commands, eight concurrent firers, a long-running worker and the server, all through two
    /// server connections in transaction mode.
    @Test func transactionPoolingCarriesEveryDoor() async throws {
        try await EngineFixture.run { fixture in
            try await Self.unusualDefaults(fixture)
            let bouncer = try await PgBouncer(in: .transaction, before: fixture.configuration, serverConnections: 2)
            var pooled = try bouncer.configuration(database: try await Self.database(fixture))
            let environment = [
                "DATABASE_URL": pooled.conninfoIncludingPassword(), "PODIUM_PREPARED_STATEMENTS": "off",
                "PODIUM_LISTEN_URL": fixture.configuration.conninfoIncludingPassword(),
            ]
            // Commands, migrate included (one transaction, a transaction-scoped lock).
            for arguments in [["migrate"], ["actor", "list"], ["stuck"], ["workflow", "list"]] {
                let result = try await PodiumBinary.run(arguments, environment: environment)
                #expect(result.exitCode == 0, "podium \(arguments.joined(separator: " ")): \(result.stderr)")
            }
            let created = try await PodiumBinary.run(
                [
                    "item", "create", "exec-post", "--title", "Through the pooler", "--as", "carol",
                    "--participant", "executive=alice", "--participant", "coach=bob",
                ], environment: environment)
            #expect(created.exitCode == 0, "\(created.stderr)")
            let id = Int(created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            let fired = try await PodiumBinary.run(
                ["item", "fire", String(id), "start_draft", "--as", "alice"], environment: environment)
            #expect(fired.exitCode == 0, "\(fired.stderr)")
            let shown = try await PodiumBinary.run(["item", "show", String(id), "--json"], environment: environment)
            #expect(shown.exitCode == 0, "\(shown.stderr)")
            #expect(shown.stdout.contains("\"stage\" : \"draft\""), "\(shown.stdout)")
            #expect(
                shown.stdout.contains("Z\""), "times are read as UTC whatever the server's default: \(shown.stdout)")

            // Eight firers at once through the engine, on a pool of eight client connections.
            pooled.usesNamedStatements = false
            let pool = PostgresPool(configuration: pooled, options: .init(maxConnections: 8))
            let engine = ItemEngine(pool: pool, door: .cli)
            var items: [Int] = []
            for n in 0..<8 {
                items.append(try await fixture.item("exec-post", title: "Firer \(n)", withCoach: true).id)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for item in items {
                    group.addTask {
                        _ = try await engine.fire(item: item, transition: "start_draft", actor: "alice")
                        for round in 0..<3 {
                            _ = try await engine.fire(
                                item: item, transition: "submit", actor: "alice",
                                data: ["body": "Draft \(round)", "publish_at": "2026-12-24T09:00:00Z"])
                            _ = try await engine.fire(
                                item: item, transition: "request_changes", actor: "bob", comment: "Once more")
                        }
                    }
                }
                try await group.waitForAll()
            }
            await pool.shutdown()
            for item in items {
                #expect(try await fixture.historyCount(item) == 8, "created, started, 3 submits and 3 sends back")
            }
            let check = try await PodiumBinary.run(["check"], environment: environment)
            #expect(check.exitCode == 0, "\(check.stdout)\(check.stderr)")

            // A long-running worker, LISTENing on the direct URL, delivers a reminder due now.
            let file = NSTemporaryDirectory() + "podium-pooled-\(UUID().uuidString.prefix(8)).jsonl"
            try await fixture.pool.execute(
                "update actors set channel = \("file:" + file), working_hours = 'always' where handle = 'alice'")
            let worker = try await PodiumBinary.startWhenReady(
                ["worker", "--concurrency", "4"], environment: environment, saying: "listening for new work")
            defer { worker.process.terminate() }
            try await fixture.pool.execute(
                """
                insert into tasks (item_id, visit_id, kind, stage, recipient_role, sequence, run_at, idempotency_key, label, created_at)
                select id, visit_id, 'reminder', stage, 'executive', 1, now(), 'pooled-1', 'pooled', now()
                  from items where id = \(id)
                """)
            try await fixture.pool.execute("notify podium_tasks")
            let delivered = try await Self.waitFor {
                (try? String(contentsOfFile: file, encoding: .utf8))?.contains("pooled-1") == true
            }
            #expect(delivered, "the worker behind the pooler delivered the reminder: \(worker.output)")

            // The server: ready, and a transition fired over HTTP.
            let token = try await PodiumBinary.run(
                ["token", "create", "--name", "pooled", "--as", "bob"], environment: environment)
            let secret =
                token.stdout.split(whereSeparator: { $0.isWhitespace }).first { $0.hasPrefix("pdm_") }.map(String.init)
                ?? ""
            let server = try await PodiumBinary.startWhenReady(
                ["serve", "--port", "0", "--dev"], environment: environment, saying: "listening on http://")
            defer { server.process.terminate() }
            let base =
                server.output.split(separator: "listening on ").last?.split(separator: ";").first.map(String.init) ?? ""
            let ready = try await Self.request("\(base)/readyz", method: "GET", token: nil)
            #expect(ready == 200, "\(server.output)")
            let submitted = try await fixture.engine().fire(
                item: id, transition: "submit", actor: "alice",
                data: ["body": "Hi", "publish_at": "2026-12-24T09:00:00Z"])
            #expect(submitted.outcome == .moved)
            let changes = try await Self.request(
                "\(base)/api/v1/items/\(id)/transitions/request_changes", method: "POST", token: secret,
                body: #"{"comment": "Shorter, please"}"#)
            #expect(changes == 200, "\(server.output)")
        }
    }

    /// Without the setting, a statement prepared on one server session and run on another
    /// (here forced: PgBouncer hands the session it got back last to the next transaction, one
    /// that is then held open) fails as a refusal, exit 9, whose hint names the setting; with
    /// it, a worker with no session to LISTEN on says it polls.
    @Test func namedStatementsThroughATransactionPoolSayWhatToSet() async throws {
        try await EngineFixture.run { fixture in
            let bouncer = try await PgBouncer(in: .transaction, before: fixture.configuration, serverConnections: 2)
            let pooled = try bouncer.configuration(database: try await Self.database(fixture))
            let named = try await PostgresConnection.connect(pooled)
            try await named.execute("select 1 as one")  // prepared and run on one server session
            let holder = try await PostgresConnection.connect(pooled)
            try await holder.run(TrustedSQLScript(shippedSQL: "begin; select 2", origin: "holding a session"))
            do {
                try await named.execute("select 1 as one")
                Issue.record("a named statement ran on a server session that never prepared it")
            } catch let error as PostgresError {
                let explained = PodiumError(error, while: "read")
                #expect(explained.kind == .misconfigured, "\(explained)")
                #expect(explained.hint?.contains("PODIUM_PREPARED_STATEMENTS=off") == true, "\(explained)")
            }
            await holder.close()
            await named.close()
            let environment = [
                "DATABASE_URL": pooled.conninfoIncludingPassword(), "PODIUM_PREPARED_STATEMENTS": "off",
            ]
            let worker = try await PodiumBinary.startWhenReady(
                ["worker", "--concurrency", "2"], environment: environment, saying: "polling every")
            worker.process.terminate()
            #expect(await PodiumBinary.waitForExit(worker.process, timeout: .seconds(20)))
        }
    }

    /// In session mode a client keeps its server session, so named statements stay, and the
    /// worker LISTENs through the pool itself.
    @Test func sessionPoolingNeedsNoSetting() async throws {
        try await EngineFixture.run { fixture in
            try await Self.unusualDefaults(fixture)
            let bouncer = try await PgBouncer(in: .session, before: fixture.configuration, serverConnections: 12)
            let environment = [
                "DATABASE_URL": try bouncer.configuration(database: try await Self.database(fixture))
                    .conninfoIncludingPassword()
            ]
            for arguments in [["stuck"], ["stuck"], ["actor", "list"], ["check"]] {
                let result = try await PodiumBinary.run(arguments, environment: environment)
                #expect(result.exitCode == 0, "podium \(arguments.joined(separator: " ")): \(result.stderr)")
            }
            let once = try await PodiumBinary.run(["worker", "--once"], environment: environment)
            #expect(once.exitCode == 0, "\(once.stdout)\(once.stderr)")
            let worker = try await PodiumBinary.startWhenReady(
                ["worker", "--concurrency", "2"], environment: environment, saying: "listening for new work")
            worker.process.terminate()
            #expect(await PodiumBinary.waitForExit(worker.process, timeout: .seconds(20)))
        }
    }

    /// Waits (polling every 20 ms, at most a minute: a hang, not a measurement) for `condition`.
    private static func waitFor(_ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// The status of one HTTP request.
    private static func request(_ url: String, method: String, token: String?, body: String? = nil) async throws
        -> Int
    {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }
}
