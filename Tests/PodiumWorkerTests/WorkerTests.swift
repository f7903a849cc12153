import Foundation
import LibPQ
import Logging
import PodiumCore
import PodiumTestSupport
import PodiumWorker
import Testing
import WorkflowEngine
import WorkflowLanguage

private let tuesday10 = Date(timeIntervalSince1970: 1_772_532_000)  // 2026-03-03 10:00 UTC (11:00 in Paris)

private func temporaryFile(_ name: String) -> String {
    NSTemporaryDirectory() + "podium-\(name)-\(UUID().uuidString.prefix(8)).jsonl"
}

private func lines(_ path: String) -> [String] {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
}

/// A post for Alice (executive) with Bob coaching; Alice's messages go to `channel`.
private func setUp(_ fixture: EngineFixture, channel: String, hours: String = "always", at now: Date = tuesday10)
    async throws -> ItemView
{
    _ = try await ActorStore(pool: fixture.pool).update(
        "alice", changes: ActorChanges(timezone: "Europe/Paris", channel: channel, workingHours: hours), by: "carol")
    return try await fixture.engine(at: now).create(
        workflow: "exec-post", title: "A post", author: "carol",
        participants: [Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob")],
        data: [:])
}

/// Cancels the item's own tasks and gives its current visit `count` reminders due at `due`
/// instead, with keys `bulk-<item>-<n>`.
private func replaceTasks(
    withReminders count: Int, item: Int, due: Date, maxAttempts: Int = 5, pool: PostgresPool
) async throws {
    try await pool.execute("update tasks set status = 'cancelled' where item_id = \(item)")
    try await pool.execute(
        """
        insert into tasks (item_id, visit_id, kind, stage, recipient_role, sequence, run_at, idempotency_key, label,
                           max_attempts, created_at)
        select i.id, i.visit_id, 'reminder', i.stage, 'executive', n, \(due), 'bulk-' || i.id || '-' || n, 'bulk ' || n,
               \(maxAttempts), \(due)
          from items i, generate_series(1, \(count)) n where i.id = \(item)
        """)
}

/// How many bulk tasks (from `replaceTasks`) meet `tasks`, and how many deliveries meet `deliveries`.
private func bulkCounts(tasks: PostgresQuery, deliveries: PostgresQuery, pool: PostgresPool) async throws -> (
    tasks: Int, deliveries: Int
) {
    let row = try await pool.query(
        """
        select count(*) filter (where \(tasks)) as tasks,
               (select count(*) from deliveries where \(deliveries)) as deliveries
          from tasks where idempotency_key like 'bulk-%'
        """
    ).single()
    return (try row.decode(Int.self, "tasks"), try row.decode(Int.self, "deliveries"))
}

@Suite("The worker pool")
struct WorkerTests {
    @Test func fourWorkersDeliverTwoThousandTasksExactlyOnce() async throws {
        try await EngineFixture.run { fixture in
            let file = temporaryFile("exactly-once")
            let item = try await setUp(fixture, channel: "file:\(file)")
            try await replaceTasks(
                withReminders: 2000, item: item.id, due: tuesday10.addingTimeInterval(-60), pool: fixture.pool)
            let summaries = try await withThrowingTaskGroup(of: WorkerSummary.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let pool = PostgresPool(configuration: fixture.configuration, options: .init(maxConnections: 3))
                        let summary = try await worker(pool, at: tuesday10, concurrency: 16).runOnce()
                        await pool.shutdown()
                        return summary
                    }
                }
                return try await group.reduce(into: [WorkerSummary]()) { $0.append($1) }
            }
            #expect(summaries.map(\.delivered).reduce(0, +) == 2000)
            #expect(
                summaries.filter { $0.delivered > 0 }.count >= 2, "the work was shared: \(summaries.map(\.delivered))")
            let written = lines(file)
            let keys = written.compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["idempotency_key"]
                    as? String
            }
            #expect(written.count == 2000 && Set(keys).count == 2000)
            let rows = try await fixture.pool.query(
                "select count(*) filter (where status = 'done') as done, count(*) as total from tasks where item_id = \(item.id) and idempotency_key like 'bulk-%'"
            ).single()
            #expect(try rows.decode(Int.self, "done") == 2000)
            let deliveries = try await fixture.pool.query(
                "select count(*) as n, count(distinct idempotency_key) as keys from deliveries where status = 'delivered'"
            ).single()
            #expect(try deliveries.decode(Int.self, "n") == 2000 && deliveries.decode(Int.self, "keys") == 2000)
        }
    }

    /// File messages are written and recorded inside the round's transaction; a task whose
    /// recipient has a one-at-a-time channel is leased in it and delivered after COMMIT. Either
    /// way the attempt is counted once.
    @Test func aRoundFinishesFileMessagesInItsTransactionAndLeasesTheRest() async throws {
        try await EngineFixture.run { fixture in
            let aliceFile = temporaryFile("in-round")
            let bobFile = temporaryFile("leased")
            let item = try await setUp(fixture, channel: "file:\(aliceFile)")
            try await fixture.pool.execute(
                "update actors set channel = \("command:cat >> \(bobFile)"), working_hours = 'always' where handle = 'bob'"
            )
            try await replaceTasks(withReminders: 30, item: item.id, due: tuesday10, pool: fixture.pool)
            try await fixture.pool.execute(
                "update tasks set recipient_role = 'coach' where idempotency_key like 'bulk-%' and sequence <= 3")
            let summary = try await worker(fixture.pool, at: tuesday10, concurrency: 8).runOnce()
            #expect(summary.delivered == 30 && summary.retried == 0)
            #expect(lines(aliceFile).count == 27)
            // Command deliveries run concurrently and append without newlines: count the messages.
            let bobs = (try? String(contentsOfFile: bobFile, encoding: .utf8)) ?? ""
            #expect(bobs.components(separatedBy: "\"idempotency_key\"").count - 1 == 3)
            let counts = try await bulkCounts(
                tasks: "status = 'done' and attempts = 1 and lease_owner is null",
                deliveries: "attempt = 1 and status = 'delivered'", pool: fixture.pool)
            #expect(counts.tasks == 30 && counts.deliveries == 30)
        }
    }

    /// A file channel that cannot be written inside the round hands its tasks to the lease path,
    /// which records the failure once and schedules the retry.
    @Test func aFileThatCannotBeWrittenIsRetriedWithOneFailedAttempt() async throws {
        try await EngineFixture.run { fixture in
            let item = try await setUp(fixture, channel: "file:/nonexistent-podium-dir/messages.jsonl")
            try await replaceTasks(withReminders: 2, item: item.id, due: tuesday10, pool: fixture.pool)
            let summary = try await worker(fixture.pool, at: tuesday10).runOnce()
            #expect(summary.delivered == 0 && summary.retried == 2)
            let counts = try await bulkCounts(
                tasks: "status = 'pending' and attempts = 1 and run_at > \(tuesday10)",
                deliveries: "attempt = 1 and status = 'failed'", pool: fixture.pool)
            #expect(counts.tasks == 2 && counts.deliveries == 2)
        }
    }

    /// A task for two people, one of whose files cannot be written: the one reached hears once,
    /// neither again when the lease path retries the other in the same attempt, nor when the
    /// task is retried later.
    @Test func aRecipientReachedIsNotMessagedAgainWhenTheTaskIsRetried() async throws {
        try await EngineFixture.run { fixture in
            let aliceFile = temporaryFile("reached")
            let erinDirectory = NSTemporaryDirectory() + "podium-later-\(UUID().uuidString.prefix(8))"
            let erinFile = erinDirectory + "/messages.jsonl"
            let item = try await setUp(fixture, channel: "file:\(aliceFile)")
            _ = try await ActorStore(pool: fixture.pool).add(
                handle: "erin", name: "Erin Park", roles: [], timezone: "UTC", channel: "file:\(erinFile)",
                workingHours: "always")
            try await fixture.pool.execute(
                "insert into participants (item_id, role, actor) values (\(item.id), 'executive', 'erin')")
            try await replaceTasks(withReminders: 1, item: item.id, due: tuesday10, pool: fixture.pool)

            let first = try await worker(fixture.pool, at: tuesday10).runOnce()
            #expect(first.delivered == 1 && first.retried == 1)
            #expect(lines(aliceFile).count == 1)

            try FileManager.default.createDirectory(atPath: erinDirectory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: erinDirectory) }
            let second = try await worker(fixture.pool, at: tuesday10.addingTimeInterval(3600)).runOnce()
            #expect(second.delivered == 1 && second.retried == 0)
            #expect(lines(aliceFile).count == 1)
            #expect(lines(erinFile).count == 1)
            let counts = try await bulkCounts(
                tasks: "status = 'done' and attempts = 2",
                deliveries: """
                    (recipient, attempt, status) in (('alice', 1, 'delivered'), ('erin', 1, 'failed'),
                                                     ('erin', 2, 'delivered'))
                    """, pool: fixture.pool)
            #expect(counts.tasks == 1 && counts.deliveries == 3)
            let deliveries = try await fixture.pool.query("select count(*) as n from deliveries").single()
            #expect(try deliveries.decode(Int.self, "n") == 3)
        }
    }

    @Test func messagesCarryWhatARecipientNeeds() async throws {
        try await EngineFixture.run { fixture in
            let file = temporaryFile("message")
            let item = try await setUp(fixture, channel: "file:\(file)")
            // The first reminder of the listen stage is due a day before the 3-day deadline.
            let summary = try await worker(fixture.pool, at: tuesday10.addingTimeInterval(2 * 86_400)).runOnce()
            #expect(summary.delivered == 1)
            let line = try #require(lines(file).first)
            let message = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(message["kind"] as? String == "reminder")
            #expect(message["label"] as? String == "1d before due")
            #expect(message["item_id"] as? Int == item.id)
            #expect(message["workflow"] as? String == "exec-post" && message["stage"] as? String == "listen")
            #expect(message["recipient"] as? String == "alice")
            #expect(message["due_at"] as? String == "2026-03-06T10:00:00Z")
            #expect((message["guidance"] as? String)?.contains("Read what customers") == true)
            #expect(message["command"] as? String == "podium item fire \(item.id) start_draft --as alice")
            #expect((message["idempotency_key"] as? String)?.hasSuffix(":alice") == true)
        }
    }

    @Test func aFailingCommandChannelEndsInADeadTaskWithItsErrors() async throws {
        try await EngineFixture.run { fixture in
            let item = try await setUp(fixture, channel: "command:echo refused >&2; exit 3")
            try await replaceTasks(withReminders: 1, item: item.id, due: tuesday10, maxAttempts: 3, pool: fixture.pool)
            var now = tuesday10
            var outcomes: [WorkerSummary] = []
            for _ in 0..<3 {
                outcomes.append(try await worker(fixture.pool, at: now, retry: .seconds(1)).runOnce())
                now = now.addingTimeInterval(3600)
            }
            #expect(outcomes.map(\.retried) == [1, 1, 0])
            #expect(outcomes.map(\.dead) == [0, 0, 1])
            let task = try await fixture.pool.query(
                "select status, attempts, last_error from tasks where idempotency_key like 'bulk-%'"
            ).single()
            #expect(try task.decode(String.self, "status") == "dead" && task.decode(Int.self, "attempts") == 3)
            #expect(try task.decode(String.self, "last_error").contains("exited with 3: refused"))
            let failures = try await fixture.pool.query(
                "select count(*) as n from deliveries where status = 'failed' and error like '%exited with 3%'")
            #expect(try failures.single().decode(Int.self, "n") == 3)
        }
    }

    @Test func aTimerFiresItsTransitionExactlyOnceWithTwoWorkers() async throws {
        try await EngineFixture.run { fixture in
            let item = try await setUp(fixture, channel: "file:\(temporaryFile("timer"))")
            let engine = fixture.engine(at: tuesday10)
            _ = try await engine.fire(item: item.id, transition: "start_draft", actor: "alice")
            _ = try await engine.fire(
                item: item.id, transition: "submit", actor: "alice",
                data: ["body": "b", "publish_at": "2026-03-10T09:00:00Z"])
            _ = try await engine.fire(item: item.id, transition: "approve", actor: "bob")
            _ = try await engine.fire(item: item.id, transition: "published", actor: "alice", data: ["url": "u"])
            try await fixture.pool.execute(
                "update tasks set status = 'cancelled' where item_id = \(item.id) and kind <> 'timer' and status = 'pending'"
            )
            let weekLater = tuesday10.addingTimeInterval(7 * 86_400 + 60)
            let summaries = try await withThrowingTaskGroup(of: WorkerSummary.self) { group in
                for _ in 0..<2 { group.addTask { try await worker(fixture.pool, at: weekLater).runOnce() } }
                return try await group.reduce(into: [WorkerSummary]()) { $0.append($1) }
            }
            #expect(summaries.map(\.timersFired).reduce(0, +) == 1)
            let history = try await engine.history(item.id)
            #expect(history.filter { $0.transition == "close_dialogue" }.count == 1)
            #expect(history.last?.actor == "system" && history.last?.role == "system")
            #expect(try await engine.show(item.id).closedAt != nil)
        }
    }

    @Test func aThreeInTheMorningReminderWaitsForNineOClock() async throws {
        try await EngineFixture.run { fixture in
            let file = temporaryFile("hours")
            let item = try await setUp(fixture, channel: "file:\(file)", hours: "Mon-Fri 09:00-18:00")
            let threeInParis = Date(timeIntervalSince1970: 1_772_589_600)  // Wed 2026-03-04 02:00 UTC = 03:00 CET
            try await replaceTasks(withReminders: 1, item: item.id, due: threeInParis, pool: fixture.pool)
            let night = try await worker(fixture.pool, at: threeInParis).runOnce()
            #expect(night.held == 1 && night.delivered == 0 && lines(file).isEmpty)
            let held = try await fixture.pool.query(
                "select run_at, status from tasks where idempotency_key like 'bulk-%'"
            ).single()
            let nineInParis = Date(timeIntervalSince1970: 1_772_611_200)  // 08:00 UTC = 09:00 CET
            #expect(try held.decode(Date.self, "run_at") == nineInParis)
            #expect(try held.decode(String.self, "status") == "pending")
            let early = try await worker(fixture.pool, at: nineInParis.addingTimeInterval(-60)).runOnce()
            #expect(early.delivered == 0 && early.held == 0)
            let morning = try await worker(fixture.pool, at: nineInParis).runOnce()
            #expect(morning.delivered == 1 && lines(file).count == 1)
        }
    }

    /// The wall clock decides, not "local midnight plus nine hours": on the days New York's
    /// clocks change, 09:00 is 13:00Z (spring) and 14:00Z (autumn). A second worker at the same
    /// fixed instant finds nothing due and ends (it used to hold the task until "now" and claim
    /// it again forever).
    @Test(
        .timeLimit(.minutes(1)),
        arguments: [
            ("2026-03-08T12:00:00Z", "2026-03-08T13:00:00Z"),
            ("2026-11-01T13:00:00Z", "2026-11-01T14:00:00Z"),
        ])
    func onTheDaysTheClocksChangeAReminderWaitsForNineOnTheWallClock(now: String, nine: String) async throws {
        try await EngineFixture.run { fixture in
            let file = temporaryFile("dst")
            let item = try await setUp(fixture, channel: "file:\(file)", hours: "Mon-Sun 09:00-18:00")
            try await fixture.pool.execute("update actors set timezone = 'America/New_York' where handle = 'alice'")
            let now = try #require(DataDate.parse(now)), nine = try #require(DataDate.parse(nine))
            try await replaceTasks(withReminders: 1, item: item.id, due: now, pool: fixture.pool)
            let first = try await worker(fixture.pool, at: now).runOnce()
            #expect(first.held == 1 && first.delivered == 0)
            let heldUntil = try await fixture.pool.query(
                "select run_at from tasks where idempotency_key like 'bulk-%'"
            ).single().decode(Date.self, "run_at")
            #expect(heldUntil == nine)
            let again = try await worker(fixture.pool, at: now).runOnce()
            #expect(again.held == 0 && again.delivered == 0)
            let atNine = try await worker(fixture.pool, at: nine).runOnce()
            #expect(atNine.delivered == 1 && lines(file).count == 1)
        }
    }

    /// A clock a fraction of a microsecond before 09:00 (as `PODIUM_NOW` or the system clock may
    /// read) is the clock PostgreSQL stores, 09:00: the reminder goes out, and the worker ends
    /// (Swift used to see 08:59:59 and hold the task until 09:00, which SQL saw as now, forever).
    @Test(.timeLimit(.minutes(1))) func aClockBetweenMicrosecondsNeitherLoopsNorHolds() async throws {
        try await EngineFixture.run { fixture in
            let file = temporaryFile("micro")
            let item = try await setUp(fixture, channel: "file:\(file)", hours: "Mon-Sun 09:00-18:00")
            try await fixture.pool.execute("update actors set timezone = 'America/New_York' where handle = 'alice'")
            let due = try #require(DataDate.parse("2026-03-08T12:59:59Z"))
            try await replaceTasks(withReminders: 1, item: item.id, due: due, pool: fixture.pool)
            let now = Date(
                timeIntervalSince1970: try #require(DataDate.parse("2026-03-08T13:00:00Z")).timeIntervalSince1970
                    - 0.000_000_4)
            let round = try await worker(fixture.pool, at: now).runOnce()
            #expect(round.delivered == 1 && round.held == 0 && lines(file).count == 1)
        }
    }

    /// `4h before due` at 22:00 in Paris, due at 02:00, hours 09:00 to 18:00: holding the
    /// warning for the morning would deliver it seven hours after the deadline, so it goes out
    /// at once; the `at due` reminder waits for the morning.
    @Test func aWarningBeforeADeadlineIsNotHeldPastTheDeadline() async throws {
        try await EngineFixture.run { fixture in
            let file = temporaryFile("before-due")
            let item = try await setUp(fixture, channel: "file:\(file)", hours: "Mon-Fri 09:00-18:00")
            let due = try #require(DataDate.parse("2026-03-04T01:00:00Z"))  // Wed 02:00 in Paris
            let tenAtNight = due.addingTimeInterval(-4 * 3_600)
            try await replaceTasks(withReminders: 1, item: item.id, due: tenAtNight, pool: fixture.pool)
            try await fixture.pool.execute("update items set due_at = \(due) where id = \(item.id)")
            try await fixture.pool.execute(
                """
                insert into tasks (item_id, visit_id, kind, stage, recipient_role, sequence, run_at, idempotency_key,
                                   label, created_at)
                select id, visit_id, 'reminder', stage, 'executive', 2, \(due), 'bulk-at-due', 'at due', \(due)
                  from items where id = \(item.id)
                """)
            let evening = try await worker(fixture.pool, at: tenAtNight).runOnce()
            #expect(evening.delivered == 1 && evening.held == 0 && lines(file).count == 1)
            let night = try await worker(fixture.pool, at: due).runOnce()
            #expect(night.held == 1 && night.delivered == 0)
            let morning = try #require(DataDate.parse("2026-03-04T08:00:00Z"))  // 09:00 in Paris
            let atDue = try await fixture.pool.query(
                "select run_at from tasks where idempotency_key = 'bulk-at-due'"
            ).single().decode(Date.self, "run_at")
            #expect(atDue == morning)
        }
    }

    @Test func escalationsReachTheGlobalRoleWhenNoParticipantHoldsIt() async throws {
        try await EngineFixture.run { fixture in
            let file = temporaryFile("escalation")
            let item = try await setUp(fixture, channel: "file:\(file)")
            let actors = ActorStore(pool: fixture.pool)
            _ = try await actors.update(
                "carol", changes: ActorChanges(timezone: "UTC", channel: "file:\(file)", workingHours: "always"),
                by: "carol")
            _ = try await actors.add(
                handle: "dave", name: "Dave Okafor", roles: [], timezone: "UTC", channel: "file:\(file)",
                workingHours: "always")
            // A second item has its own community manager, who takes precedence over the global one.
            _ = try await fixture.engine(at: tuesday10).create(
                workflow: "exec-post", title: "Managed post", author: "carol",
                participants: [
                    Participant(role: "executive", actor: "alice"),
                    Participant(role: "community_manager", actor: "dave"),
                ],
                data: [:])
            // Listening is due after 3 days and escalates 2 days later.
            let summary = try await worker(fixture.pool, at: tuesday10.addingTimeInterval(5 * 86_400 + 60)).runOnce()
            #expect(summary.delivered == 10)  // per item, four reminders to Alice and one escalation
            let recipients = lines(file).compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).flatMap { message in
                    (message["kind"] as? String).map { "\($0):\(message["recipient"] as? String ?? "")" }
                }
            }
            #expect(
                recipients.filter { $0.hasPrefix("escalation:") }.sorted() == ["escalation:carol", "escalation:dave"])
            #expect(recipients.filter { $0 == "reminder:alice" }.count == 8)
            _ = item
        }
    }
}

@Suite("The worker rides out a PostgreSQL restart")
struct WorkerRestartTests {
    @Test func aRunningWorkerReconnectsAndCarriesOn() async throws {
        let server = try await ThrowawayServer()
        let admin = try await PostgresConnection.connect(server.configuration)
        try await admin.execute("create database podium")
        let configuration = server.configuration.withDatabase("podium")
        let setup = try await PostgresConnection.connect(configuration)
        _ = try await Migrator(migrations: try TestDatabase.shippedMigrations()).migrate(on: setup)
        await setup.close()
        let pool = PostgresPool(
            configuration: configuration, options: .init(maxConnections: 4, reconnectFor: .seconds(30)))
        let source = try String(
            contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("Workflows/exec-post.yaml"), encoding: .utf8)
        _ = try await WorkflowStore(pool: pool).load(
            try #require(WorkflowParser.check(source).validDefinition), source: source, path: nil)
        let file = NSTemporaryDirectory() + "podium-restart-\(UUID().uuidString.prefix(8)).jsonl"
        _ = try await ActorStore(pool: pool).add(
            handle: "alice", name: "Alice", roles: [], timezone: "UTC", channel: "file:\(file)", workingHours: "always")
        _ = try await ActorStore(pool: pool).add(
            handle: "carol", name: "Carol", roles: ["community_manager"], timezone: "UTC", channel: nil,
            workingHours: nil)
        let engine = ItemEngine(pool: pool, door: .cli)
        let item = try await engine.create(
            workflow: "exec-post", title: "A post", author: "carol",
            participants: [Participant(role: "executive", actor: "alice")], data: [:])
        func addDueReminders(_ range: ClosedRange<Int>) async throws {
            try await pool.execute(
                """
                insert into tasks (item_id, visit_id, kind, stage, recipient_role, sequence, run_at, idempotency_key,
                                   label, created_at)
                select i.id, i.visit_id, 'reminder', i.stage, 'executive', n, now(), 'restart-' || n, 'r', now()
                  from items i, generate_series(\(range.lowerBound), \(range.upperBound)) n where i.id = \(item.id)
                """)
            try await pool.execute("select pg_notify('podium_tasks', 'new')")
        }
        let worker = Worker(
            pool: pool, options: WorkerOptions(concurrency: 4, pollInterval: .milliseconds(500)), time: SystemTime(),
            environment: [:], owner: "restart-test", logger: quiet)
        let running = Task { try await worker.run(listen: configuration) }
        try await addDueReminders(1...20)
        try await waitUntil { Set(keysWritten(file)).count == 20 }
        // Beside the drains, the worker folds the flow report's figures: the item's entry into
        // its first stage gets counted without any report being asked for.
        var entered: Int?
        for _ in 0..<300 where entered != 1 {
            entered = try await pool.query("select sum(entered)::bigint as n from flow_totals").single()
                .decode(Int?.self, "n")
            if entered != 1 { try await Task.sleep(for: .milliseconds(50)) }
        }
        let waiting = try await pool.query("select count(*) as n from visit_facts").single().decode(Int.self, "n")
        #expect(waiting == 0 && entered == 1)
        try await server.stop()
        try await Task.sleep(for: .milliseconds(500))
        try await server.start()
        try await addDueReminders(21...40)
        try await waitUntil { Set(keysWritten(file)).count == 40 }
        await worker.stop()
        _ = try await running.value
        await pool.shutdown()
        #expect(Set(keysWritten(file)).count == 40)
    }

    private func keysWritten(_ file: String) -> [String] {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<300 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting")
    }
}

@Suite("Webhook delivery")
struct WebhookTests {
    /// A one-request-at-a-time HTTP receiver on 127.0.0.1 that records each POST (headers and
    /// body) and answers with the status given on its command line.
    private static let receiver = """
        import http.server, json, os, sys, threading
        status, out = int(sys.argv[1]), sys.argv[2]
        threading.Timer(30, os._exit, [0]).start()  # never outlive the test
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers['Content-Length']))
                with open(out, 'a') as f:
                    f.write(json.dumps({'signature': self.headers.get('X-Podium-Signature'), 'body': body.decode()}) + '\\n')
                self.send_response(status); self.end_headers()
            def log_message(self, *args): pass
        server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    static func startReceiver(status: Int, output: String) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.receiver, String(status), output]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var text = ""
        while !text.contains("\n") {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        return (process, Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
    }

    @Test func postsSignedJSONAndTreatsErrorsAsFailures() async throws {
        let output = NSTemporaryDirectory() + "podium-webhook-\(UUID().uuidString.prefix(8)).jsonl"
        let (accepting, port) = try Self.startReceiver(status: 204, output: output)
        defer { kill(accepting.processIdentifier, SIGKILL) }
        let deliverer = Deliverer(environment: [Deliverer.secretVariable: "s3cret"])
        let body = Data(#"{"idempotency_key":"k-1","kind":"reminder"}"#.utf8)
        try await deliverer.deliver(body, on: try DeliveryChannel(spec: "webhook:http://127.0.0.1:\(port)/hook"))
        let line = try #require(
            try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").first)
        let received = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(received["body"] == String(decoding: body, as: UTF8.self))
        // HMAC-SHA256 of the body with key "s3cret", computed independently with openssl.
        #expect(received["signature"] == "sha256=" + (try hmac(body, key: "s3cret")))

        let (refusing, refusingPort) = try Self.startReceiver(status: 500, output: output)
        defer { kill(refusing.processIdentifier, SIGKILL) }
        await #expect(throws: DeliveryError.self) {
            try await deliverer.deliver(
                body, on: try DeliveryChannel(spec: "webhook:http://127.0.0.1:\(refusingPort)/"))
        }
        await #expect(throws: DeliveryError.self) {
            try await deliverer.deliver(body, on: try DeliveryChannel(spec: "webhook:http://127.0.0.1:1/"))
        }
    }

    @Test func channelSpecsAreChecked() {
        // An address that could add a recipient or a header is no address.
        let bad = [
            "webhook:ftp://x", "webhook:http://", "file:", "slack", "email:", "email:alice", "email:alice@example",
            "email:alice@example.com\nBcc: eve@example.com", "email:alice@example.com,eve@example.com",
            "mailto:<alice@example.com>", "email:alice smith@example.com", "email:a@b@example.com",
            "email:a@.example.com",
        ]
        for spec in bad {
            #expect(throws: PodiumError.self, "\(spec)") { try DeliveryChannel(spec: spec) }
        }
        #expect((try? DeliveryChannel(spec: "file:/tmp/x")) == .file("/tmp/x"))
        #expect((try? DeliveryChannel(spec: "email:alice@example.com")) == .email("alice@example.com"))
        #expect(
            (try? DeliveryChannel(spec: "slack:https://hooks.slack.com/services/T0/B0/x"))
                == .slack(URL(string: "https://hooks.slack.com/services/T0/B0/x")!))
        for spec in ["slack:ftp://x", "teams:notaurl", "teams:"] {
            #expect(throws: PodiumError.self, "\(spec)") { try DeliveryChannel(spec: spec) }
        }
        #expect(
            (try? DeliveryChannel(spec: "mailto:alice+podium@example.co.uk")) == .email("alice+podium@example.co.uk"))
    }

    private func hmac(_ body: Data, key: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "dgst", "-sha256", "-hmac", key, "-r"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(body)
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(text.prefix { $0 != " " })
    }
}
