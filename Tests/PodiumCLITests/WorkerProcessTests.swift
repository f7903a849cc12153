import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import PodiumWorker
import Testing
import WorkflowEngine

/// An item whose reminders go to `file`, plus `count` reminders due a minute ago (real time).
private func prepare(_ fixture: EngineFixture, file: String, count: Int) async throws {
    _ = try await ActorStore(pool: fixture.pool).update(
        "alice", changes: ActorChanges(timezone: "UTC", channel: "file:\(file)", workingHours: "always"), by: "carol")
    let item = try await ItemEngine(pool: fixture.pool, door: .cli).create(
        workflow: "exec-post", title: "A post", author: "carol",
        participants: [Participant(role: "executive", actor: "alice")], data: [:])
    try await fixture.pool.execute("update tasks set status = 'cancelled' where item_id = \(item.id)")
    try await fixture.pool.execute(
        """
        insert into tasks (item_id, visit_id, kind, stage, recipient_role, sequence, run_at, idempotency_key, label, created_at)
        select i.id, i.visit_id, 'reminder', i.stage, 'executive', n, now() - interval '1 minute',
               'bulk-' || n, 'bulk ' || n, now()
          from items i, generate_series(1, \(count)) n where i.id = \(item.id)
        """)
}

private func keys(in file: String) -> [String] {
    ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { line in
        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["idempotency_key"] as? String
    }
}

@Suite("podium worker as a process")
struct WorkerProcessTests {
    @Test func sigtermDrainsAndExitsZero() async throws {
        try await EngineFixture.run { fixture in
            let file = NSTemporaryDirectory() + "podium-sigterm-\(UUID().uuidString.prefix(8)).jsonl"
            try await prepare(fixture, file: file, count: 300)
            // Signalled once it says it is ready, never after a fixed sleep: a SIGTERM in the first
            // milliseconds, before its handler is in place, ends a process at once.
            let worker = try await PodiumBinary.startWhenReady(
                ["worker", "--concurrency", "4"],
                environment: ["DATABASE_URL": fixture.configuration.conninfoIncludingPassword()], saying: ": ready"
            ).process
            worker.terminate()  // SIGTERM
            let exited = await PodiumBinary.waitForExit(worker, timeout: .seconds(20))
            #expect(exited, "the worker must stop within 20 s of SIGTERM")
            guard exited else {
                kill(worker.processIdentifier, SIGKILL)
                return
            }
            #expect(worker.terminationStatus == 0)
            let running = try await fixture.pool.query("select count(*) as n from tasks where status = 'running'")
            #expect(try running.single().decode(Int.self, "n") == 0, "a drained worker holds no task")
        }
    }

    /// A SIGTERM at once after spawning lands either before the handler is in place (the process
    /// ends by the signal, having claimed nothing) or after (a graceful stop, exit 0); either way
    /// no task is left running, and the handler is installed before anything is claimed.
    @Test func sigtermDuringStartUpLeavesNothingHalfDone() async throws {
        try await EngineFixture.run { fixture in
            let file = NSTemporaryDirectory() + "podium-startup-\(UUID().uuidString.prefix(8)).jsonl"
            try await prepare(fixture, file: file, count: 50)
            for _ in 0..<3 {
                let worker = try PodiumBinary.start(
                    ["worker", "--concurrency", "4"],
                    environment: ["DATABASE_URL": fixture.configuration.conninfoIncludingPassword()])
                worker.terminate()
                let exited = await PodiumBinary.waitForExit(worker, timeout: .seconds(20))
                #expect(exited, "a worker signalled while starting must still end")
                if !exited { kill(worker.processIdentifier, SIGKILL) }
                let endedBySignal = worker.terminationReason == .uncaughtSignal && worker.terminationStatus == SIGTERM
                #expect(worker.terminationStatus == 0 || endedBySignal, "status \(worker.terminationStatus)")
            }
            let running = try await fixture.pool.query("select count(*) as n from tasks where status = 'running'")
            #expect(try running.single().decode(Int.self, "n") == 0)
        }
    }

    /// With the database away, a worker says so on every attempt (with backoff, not a flood),
    /// obeys SIGTERM at once and exits 0; `--once` gives up with exit 6 and one clear line.
    @Test func withTheDatabaseAwayTheWorkerSaysSoAndStillStops() async throws {
        let nowhere = ["DATABASE_URL": "postgresql:///podium?host=/nonexistent-podium&port=1&user=podium"]
        let once = try await PodiumBinary.run(["worker", "--once"], environment: nowhere)
        #expect(once.exitCode == 6, "\(once.stderr)")
        #expect(once.stderr.hasPrefix("podium: cannot process tasks: connection to server on socket"))
        #expect(!once.stderr.contains("\\n"), "libpq's two lines read as one")

        let worker = try await PodiumBinary.startWhenReady(
            ["worker", "--log-format", "json"], environment: nowhere, saying: "cannot reach the database")
        let warning = try #require(
            worker.output.split(separator: "\n").first { $0.contains("cannot reach the database") })
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(warning.utf8)) as? [String: String])
        #expect(fields["level"] == "warning" && fields["attempt"] == "1" && fields["worker"] != nil)
        #expect(fields["message"] == "cannot reach the database; next attempt in 1 s")
        worker.process.terminate()
        // A liveness bound (it used to take 49 s), not a measurement: the worker's own grace is 1 s.
        let exited = await PodiumBinary.waitForExit(worker.process, timeout: .seconds(20))
        #expect(exited && worker.process.terminationStatus == 0, "\(worker.output)")
        if !exited { kill(worker.process.processIdentifier, SIGKILL) }
    }

    @Test func killingWorkersRepeatedlyLosesNothing() async throws {
        try await EngineFixture.run { fixture in
            let file = NSTemporaryDirectory() + "podium-kill-\(UUID().uuidString.prefix(8)).jsonl"
            let total = 1500
            try await prepare(fixture, file: file, count: total)
            let environment = ["DATABASE_URL": fixture.configuration.conninfoIncludingPassword()]
            var kills = 0
            for round in 0..<6 {
                let worker = try PodiumBinary.start(
                    ["worker", "--concurrency", "8", "--lease-seconds", "1"], environment: environment)
                try await Task.sleep(for: .milliseconds(150 + 60 * round))
                kill(worker.processIdentifier, SIGKILL)
                _ = await PodiumBinary.waitForExit(worker, timeout: .seconds(5))
                kills += 1
            }
            try await Task.sleep(for: .milliseconds(1100))  // let the dead workers' leases expire
            let last = try await PodiumBinary.run(["worker", "--once"], environment: environment)
            #expect(last.exitCode == 0, "\(last.stderr)")
            let delivered = keys(in: file)
            let unique = Set(delivered)
            #expect(kills == 6)
            #expect(unique.count == total, "every task delivered at least once")
            #expect(unique.allSatisfy { $0.hasPrefix("bulk-") && $0.hasSuffix(":alice") })
            let open = try await fixture.pool.query(
                "select count(*) as n from tasks where status <> 'done' and idempotency_key like 'bulk-%'")
            #expect(try open.single().decode(Int.self, "n") == 0)
            let orphans = try await fixture.pool.query(
                "select count(*) as n from deliveries d where not exists (select 1 from tasks t where t.id = d.task_id)"
            )
            #expect(try orphans.single().decode(Int.self, "n") == 0)
            let check = try await PodiumBinary.run(["check"], environment: environment)
            #expect(check.exitCode == 0, "podium check after the kills: \(check.stdout) \(check.stderr)")
            print(
                "kill -9 test: \(kills) kills, \(delivered.count) deliveries for \(total) tasks, \(delivered.count - unique.count) duplicates"
            )
        }
    }
}
