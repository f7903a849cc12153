import Foundation
import LibPQ
import PodiumTestSupport
import Synchronization
import Testing

@Suite("LISTEN/NOTIFY")
struct ListenerTests {
    /// Each notification arrives once, in order, with its channel, payload and sender. How fast
    /// they arrive is the benchmarks' business (benchmarks/run measures it); a test that bounded
    /// the latency failed on a loaded machine (scripts/stress).
    @Test func notificationsArriveInOrderWithTheirPayload() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let listener = try await PostgresListener.connect(configuration)
            try await listener.listen("podium_tasks")
            let sender = try await PostgresConnection.connect(configuration)
            var iterator = listener.notifications.makeAsyncIterator()
            for round in 0..<10 {
                try await sender.execute("select pg_notify(\("podium_tasks"), \("item \(round)"))")
                let note = try await iterator.next()
                #expect(note?.channel == "podium_tasks")
                #expect(note?.payload == "item \(round)")
                #expect(note?.senderPID == (await sender.backendPID))
            }
            await listener.close()
        }
    }

    @Test func channelsAreQuotedAndOnlyListenedChannelsArrive() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let listener = try await PostgresListener.connect(configuration)
            try await listener.listen("Mixed Case; drop")
            let sender = try await PostgresConnection.connect(configuration)
            try await sender.execute("select pg_notify(\("other"), \("ignored"))")
            try await sender.execute("select pg_notify(\("Mixed Case; drop"), \("seen"))")
            var iterator = listener.notifications.makeAsyncIterator()
            let note = try await iterator.next()
            #expect(note?.payload == "seen")
            await listener.close()
        }
    }

    @Test func lostListenerConnectionEndsTheStreamWithAnError() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let listener = try await PostgresListener.connect(configuration)
            try await listener.listen("podium_tasks")
            let admin = try await PostgresConnection.connect(configuration)
            try await admin.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'podium-listener' and datname = current_database()"
            )
            let error = await #expect(throws: PostgresError.self) {
                for try await _ in listener.notifications {}
            }
            #expect(error?.isConnectionLoss == true)
        }
    }
}

@Suite("Connection pool")
struct PoolTests {
    @Test func fiftyConcurrentTasksShareABoundedPool() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 5))
            try await pool.execute("create table hits (task int not null)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<50 {
                    group.addTask {
                        try await pool.transaction { db in
                            try await db.execute("insert into hits values (\(task))")
                            _ = try await db.query("select pg_sleep(0.01)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await pool.query("select count(distinct task) as n from hits")
            #expect(try rows.single().decode(Int.self, "n") == 50)
            #expect(await pool.openConnections <= 5)
            let backends = try await pool.query(
                "select count(*) as n from pg_stat_activity where datname = current_database() and application_name = 'podium'"
            )
            #expect(try backends.single().decode(Int.self, "n") <= 5)
            await pool.shutdown()
        }
    }

    @Test func terminatedConnectionIsReplacedTransparently() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 1))
            let before = try await pool.query("select pg_backend_pid() as pid").single().decode(Int32.self, "pid")
            let admin = try await PostgresConnection.connect(configuration)
            try await admin.execute("select pg_terminate_backend(\(before))")
            try await waitUntilGone(before, on: admin)
            let after = try await pool.query("select pg_backend_pid() as pid").single().decode(Int32.self, "pid")
            #expect(after != before)
            await pool.shutdown()
        }
    }

    @Test func transactionLostBeforeCommitIsRetriedOnANewConnection() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 2))
            try await pool.execute("create table notes (body text)")
            let admin = try await PostgresConnection.connect(configuration)
            let attempts = Attempts()
            try await pool.transaction(retry: .resilient) { db in
                try await db.execute("insert into notes values (\("once"))")
                if await attempts.next() == 1 {
                    // Kill our own backend mid-transaction: nothing of this attempt survives.
                    let pid = await db.backendPID
                    try await admin.execute("select pg_terminate_backend(\(pid))")
                    try await waitUntilGone(pid, on: admin)
                    try await db.execute("insert into notes values (\("never"))")
                }
            }
            #expect(await attempts.count == 2)
            let rows = try await pool.query("select body from notes")
            #expect(try rows.map { try $0.decode(String.self, "body") } == ["once"])
            await pool.shutdown()
        }
    }

    /// A connection lost while COMMIT is in flight leaves the outcome unknown: the error says so
    /// and even the most resilient policy does not run the body again. A deferred constraint
    /// trigger holds COMMIT open for two seconds, and the backend is terminated meanwhile.
    @Test func connectionLostDuringCommitIsOutcomeUnknownAndNeverRetried() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 2))
            try await pool.withConnection { db in
                try await db.run(
                    TrustedSQLScript(
                        shippedSQL: """
                            create table notes (body text);
                            create function slow_commit() returns trigger language plpgsql as
                                $$ begin perform pg_sleep(60); return null; end $$;
                            create constraint trigger slow_commit after insert on notes
                                deferrable initially deferred for each row execute function slow_commit();
                            """, origin: "test setup"))
            }
            let admin = try await PostgresConnection.connect(configuration)
            let attempts = Attempts()
            let error = await #expect(throws: PostgresError.self) {
                try await pool.transaction(retry: .resilient) { db in
                    _ = await attempts.next()
                    try await db.execute("insert into notes values (\("maybe"))")
                    let pid = await db.backendPID
                    Task {
                        try await waitUntil(pid, waitsOn: "PgSleep", seenBy: admin)  // COMMIT is in its trigger
                        try await admin.execute("select pg_terminate_backend(\(pid))")
                    }
                }
            }
            #expect(error?.commitOutcomeUnknown == true, "\(String(describing: error))")
            #expect(await attempts.count == 1, "an unknown outcome is never retried blindly")
            await pool.shutdown()
        }
    }

    /// A statement run outside a transaction commits on its own, so losing the connection while
    /// it runs leaves its outcome unknown, exactly as a lost COMMIT does: never retried blindly.
    @Test func connectionLostDuringAStatementThatCommitsAloneIsOutcomeUnknown() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 1))
            let pid = try await pool.withConnection { db in
                try await db.execute("create table notes (body text)")
                return await db.backendPID
            }
            let admin = try await PostgresConnection.connect(configuration)
            let attempts = RunCounter()
            Task {
                try await waitUntil(pid, waitsOn: "PgSleep", seenBy: admin)  // the insert is sleeping
                try await admin.execute("select pg_terminate_backend(\(pid))")
            }
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnectionInPlace(retry: .resilient) { db in
                    attempts.count.add(1, ordering: .relaxed)
                    _ = try db.queryCommitting("insert into notes select \("maybe") from pg_sleep(60)")
                }
            }
            #expect(error?.commitOutcomeUnknown == true, "\(String(describing: error))")
            #expect(attempts.count.load(ordering: .relaxed) == 1, "an unknown outcome is never retried blindly")
            let misuse = await #expect(throws: PostgresError.self) {
                try await pool.transaction { db in _ = try await db.queryCommitting("select 1") }
            }
            #expect(misuse?.kind == .client)
            await pool.shutdown()
        }
    }

    @Test func waitersTimeOutWithAClearError() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let pool = PostgresPool(
                configuration: configuration, options: .init(maxConnections: 1, acquireTimeout: .milliseconds(200)))
            try await pool.withConnection { _ in
                let error = await #expect(throws: PostgresError.self) { try await pool.query("select 1") }
                #expect(error?.kind == .pool)
            }
            #expect(try await pool.query("select 1 as one").single().decode(Int32.self, "one") == 1)
            await pool.shutdown()
        }
    }

    @Test func leftOpenTransactionIsRolledBackBeforeReuse() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 1))
            try await pool.execute("create table notes (body text)")
            try await pool.withConnection { db in
                try await db.execute("begin")
                try await db.execute("insert into notes values (\("abandoned"))")
            }
            // The same through the in-place path, which checks the connection in its own hop:
            // a body that returns and one that throws.
            try await pool.withConnectionInPlace { db in
                try db.execute("begin")
                try db.execute("insert into notes values (\("abandoned in place"))")
            }
            await #expect(throws: PostgresError.self) {
                try await pool.withConnectionInPlace { db in
                    try db.execute("begin")
                    try db.execute("insert into notes values (\("abandoned on error"))")
                    try db.execute("select 1/0")
                }
            }
            let count = try await pool.query("select count(*) as n from notes").single().decode(Int.self, "n")
            #expect(count == 0)
            #expect(try await pool.query("select 1 as one").single().decode(Int32.self, "one") == 1)
            await pool.shutdown()
        }
    }

    private func waitUntilGone(_ pid: Int32, on admin: PostgresConnection) async throws {
        for _ in 0..<200 {
            let rows = try await admin.query("select count(*) as n from pg_stat_activity where pid = \(pid)")
            if try rows.single().decode(Int.self, "n") == 0 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("backend \(pid) did not exit")
    }
}

@Suite("Blocking libpq calls stay off the cooperative pool")
struct BlockingTests {
    /// Backends of this test's database waiting for advisory lock 4242 (other tests take
    /// advisory locks in their own databases at the same time).
    static let waitingOnTheLock: PostgresQuery = """
        select count(*) as n from pg_locks
         where locktype = 'advisory' and objid = 4242 and not granted
           and database = (select oid from pg_database where datname = current_database())
        """

    /// Four queries block in libpq (waiting for an advisory lock the test holds) on a machine with
    /// two cooperative threads; a task that needs only the cooperative pool must still run, and
    /// only then is the lock released. Proven by order, not by timing: were the blocked calls on
    /// the cooperative threads, the task could not run, the lock would never be released, and the
    /// time limit would end the test.
    @Test(.timeLimit(.minutes(1))) func blockedQueriesDoNotStallOtherTasks() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let admin = try await PostgresConnection.connect(configuration)
            try await admin.execute("select pg_advisory_lock(4242)")
            var connections: [PostgresConnection] = []
            for _ in 0..<4 { connections.append(try await PostgresConnection.connect(configuration)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for connection in connections {
                    group.addTask { try await connection.execute("select pg_advisory_lock_shared(4242)") }
                }
                // Readiness: all four backends are waiting on the lock.
                while try await admin.query(
                    Self.waitingOnTheLock
                ).single().decode(Int.self, "n") < 4 {
                    await Task.yield()
                }
                // Work that needs only the cooperative pool, spread over many tasks.
                let sums = try await withThrowingTaskGroup(of: Int.self) { work in
                    for part in 0..<64 { work.addTask { (0..<10_000).reduce(part, &+) } }
                    return try await work.reduce(0, &+)
                }
                #expect(sums != 0)
                let waiting = try await admin.query(
                    Self.waitingOnTheLock
                ).single().decode(Int.self, "n")
                #expect(waiting == 4, "the queries were still blocked while the other work ran")
                try await admin.execute("select pg_advisory_unlock(4242)")
                try await group.waitForAll()
            }
            for connection in connections { await connection.close() }
            await admin.close()
        }
    }
}

@Suite("Riding out a server restart")
struct RestartTests {
    @Test func poolReconnectsWithBackoffAfterARestart() async throws {
        let server = try await ThrowawayServer()
        let pool = PostgresPool(
            configuration: server.configuration,
            options: .init(maxConnections: 2, reconnectFor: .seconds(20), initialBackoff: .milliseconds(20)))
        let before = try await pool.query("select pg_backend_pid() as pid").single().decode(Int32.self, "pid")
        try await server.stop()
        let clock = ContinuousClock()
        let stoppedAt = clock.now
        async let answer = pool.query("select 42 as answer")
        try await Task.sleep(for: .milliseconds(700))
        try await server.start()
        let value = try await answer.single().decode(Int32.self, "answer")
        #expect(value == 42)
        #expect(clock.now - stoppedAt >= .milliseconds(700), "the query waited for the server")
        let after = try await pool.query("select pg_backend_pid() as pid").single().decode(Int32.self, "pid")
        #expect(after != before)
        await pool.shutdown()
    }

    @Test func finalFailuresAreNotRetried() async throws {
        let server = try await ThrowawayServer()
        let wrongDatabase = server.configuration.withDatabase("no_such_database")
        let pool = PostgresPool(configuration: wrongDatabase, options: .init(reconnectFor: .seconds(20)))
        let error = await #expect(throws: PostgresError.self) { try await pool.query("select 1") }
        #expect(error?.kind == .connectionFailed)
        // The pool retries only what waiting can cure; a missing database is not worth waiting for.
        #expect(error?.isTransientConnectFailure == false, "\(String(describing: error))")
        // The same server, stopped, is worth waiting for.
        try await server.stop()
        let down = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(server.configuration)
        }
        #expect(down?.isTransientConnectFailure == true, "\(String(describing: down))")
        await pool.shutdown()
    }
}

/// Counts runs of a synchronous body that a retry policy may run more than once.
final class RunCounter: Sendable {
    let count = Atomic<Int>(0)
}

/// Returns once backend `pid` waits on `event` (a wait event such as `PgSleep`, or a type such
/// as `Lock`), as `admin` sees it in
/// `pg_stat_activity`: the readiness signal a test acts on instead of a fixed sleep.
func waitUntil(_ pid: Int32, waitsOn event: String, seenBy admin: PostgresConnection) async throws {
    while try await admin.query(
        """
        select count(*) as n from pg_stat_activity
         where pid = \(pid) and (wait_event = \(event) or wait_event_type = \(event))
        """
    ).single().decode(Int.self, "n") == 0 {
        try await Task.sleep(for: .milliseconds(5))
    }
}
