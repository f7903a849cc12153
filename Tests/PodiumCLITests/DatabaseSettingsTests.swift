import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// How Podium meets the database operators really run: refusals that waiting cannot cure stop
/// it at once (exit 9), an unreachable database bounds `worker --once`, and reads go to a
/// streaming standby when `PODIUM_READ_URL` names one.
@Suite("Database settings and refusals")
struct DatabaseSettingsTests {
    /// The shared server's URL with another database or user.
    private static func environment(database: String? = nil, user: String? = nil) throws -> [String: String] {
        var configuration = try TestDatabase.serverConfiguration()
        if let database { configuration = configuration.withDatabase(database) }
        if let user { configuration = configuration.withUser(user) }
        return ["DATABASE_URL": configuration.conninfoIncludingPassword()]
    }

    /// Runs a long-running `podium` that must end on its own, within a minute (a hang, not a
    /// measurement), and returns its exit status and output.
    private static func runToEnd(_ arguments: [String], environment: [String: String]) async throws -> (Int32, String) {
        let running = try PodiumBinary.startLogging(arguments, environment: environment)
        let ended = await PodiumBinary.waitForExit(running.process, timeout: .seconds(60))
        if !ended { running.process.terminate() }
        #expect(ended, "podium \(arguments.joined(separator: " ")) kept retrying: \(running.output)")
        return (running.process.terminationStatus, running.output)
    }

    /// A database that does not exist, a role that does not exist, a wrong password: each
    /// command stops at once with exit 9, and the password is never shown.
    @Test(arguments: [
        ["database", "podium_no_such_database", "does not exist"], ["user", "nobody_at_all", "does not exist"],
        ["password", "wrong-secret-9f3", "password authentication failed"],
    ])
    func aWorkerOrServerTheDatabaseRefusesStopsWithExit9(refusal: [String]) async throws {
        let (what, value, says) = (refusal[0], refusal[1], refusal[2])
        var environment: [String: String]
        switch what {
        case "database": environment = try Self.environment(database: value)
        case "user": environment = try Self.environment(user: value)
        default:
            // Over TCP, where the local cluster asks for a password (its socket trusts).
            let port = try TestDatabase.serverConfiguration().value(of: "port") ?? "5432"
            environment = ["DATABASE_URL": "postgres://podium:\(value)@127.0.0.1:\(port)/podium"]
        }
        for arguments in [["worker"], ["serve", "--port", "0", "--dev"], ["stuck"]] {
            let (status, output) = try await Self.runToEnd(arguments, environment: environment)
            #expect(status == 9, "podium \(arguments.joined(separator: " ")) exited \(status): \(output)")
            #expect(output.contains(says), "\(output)")
            #expect(!output.contains("local-postgres"), "not the local cluster, so no word of it: \(output)")
            if what == "password" { #expect(!output.contains(value), "\(output)") }
        }
    }

    /// With nothing at the address, `worker --once` gives up after `--database-wait` seconds with
    /// exit 6, and its hint names the server it tried and how to probe it.
    @Test func workerOnceGivesUpOnAnUnreachableDatabase() async throws {
        let nowhere = NSTemporaryDirectory() + "podium-nowhere-\(UUID().uuidString.prefix(8))"
        let started = ContinuousClock.now
        let result = try await PodiumBinary.run(
            ["worker", "--once", "--database-wait", "2"],
            environment: ["DATABASE_URL": "host=\(nowhere) port=5432 dbname=podium user=podium"])
        #expect(result.exitCode == 6, "\(result.stderr)")
        // A lower bound only, which no load can break: it kept trying (refusals come back in
        // milliseconds, with pauses doubling from 50 ms) and stopped when the next pause would end
        // past the 2 s, so after 1.5 s at least.
        #expect(ContinuousClock.now - started >= .seconds(1.5), "it gave up long before --database-wait")
        #expect(result.stderr.contains("pg_isready -h \(nowhere) -p 5432"), "\(result.stderr)")
        let invalid = try await PodiumBinary.run(
            ["worker", "--once", "--database-wait", "0"], environment: ["DATABASE_URL": "host=\(nowhere)"])
        #expect(invalid.exitCode == 2, "\(invalid.stderr)")
    }

    @Test func anUnknownPreparedStatementsValueIsAUsageError() async throws {
        var environment = try Self.environment()
        environment["PODIUM_PREPARED_STATEMENTS"] = "sometimes"
        let result = try await PodiumBinary.run(["stuck"], environment: environment)
        #expect(result.exitCode == 2, "\(result.stderr)")
        #expect(result.stderr.contains("neither on nor off"), "\(result.stderr)")
    }

    /// Reads go to a real streaming standby; writes to the primary. With its replay paused the
    /// standby serves a stale item while the lag stays within PODIUM_READ_MAX_LAG, and the
    /// primary serves reads (with a notice) once it does not, or when the standby is gone.
    @Test func readsGoToAStandbyWithinTheLagTheyTolerate() async throws {
        let (primary, standby, environment, id) = try await Self.itemOnAPrimaryWithAStandby()
        // Wait for the standby to replay the item (a readiness wait, not a timer).
        let deadline = ContinuousClock.now + .seconds(60)
        while try await PodiumBinary.run(["item", "show", id], environment: environment).stderr.isEmpty == false {
            try #require(ContinuousClock.now < deadline, "the standby never replayed item \(id)")
            try await Task.sleep(for: .milliseconds(20))
        }
        let replica = try await PostgresConnection.connect(standby.configuration)
        try await replica.execute("select pg_wal_replay_pause()")
        let fired = try await PodiumBinary.run(
            ["item", "fire", id, "start_draft", "--as", "alice"], environment: environment)
        #expect(fired.exitCode == 0, "writes go to the primary: \(fired.stderr)")
        // Wait until the standby has received the fire (not replayed it): only then is it behind.
        let writer = try await PostgresConnection.connect(primary.configuration)
        let written = try await writer.query("select pg_current_wal_lsn()::text as lsn").single().decode(
            String.self, "lsn")
        await writer.close()
        while try await replica.query(
            "select 1 where pg_last_wal_receive_lsn() >= \(written)::pg_lsn"
        ).count == 0 {
            try #require(ContinuousClock.now < deadline, "the standby never received the fire")
            try await Task.sleep(for: .milliseconds(20))
        }

        var tolerant = environment
        tolerant["PODIUM_READ_MAX_LAG"] = "3600"
        let stale = try await PodiumBinary.run(["item", "show", id, "--json"], environment: tolerant)
        #expect(stale.stdout.contains("\"stage\" : \"listen\""), "read from the paused standby: \(stale.stdout)")
        #expect(stale.stderr.isEmpty, "\(stale.stderr)")

        var strict = environment
        strict["PODIUM_READ_MAX_LAG"] = "0"
        let fresh = try await PodiumBinary.run(["item", "show", id, "--json"], environment: strict)
        #expect(fresh.stdout.contains("\"stage\" : \"draft\""), "read from the primary: \(fresh.stdout)")
        #expect(fresh.stderr.contains("behind") && fresh.stderr.contains("reading from the primary"), "\(fresh.stderr)")

        // The server reads from the standby while it keeps up, and from the primary once it is gone.
        let token = try await PodiumBinary.run(
            ["token", "create", "--name", "reader", "--as", "carol"], environment: environment)
        let secret =
            token.stdout.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("pdm_") }.map(String.init) ?? ""
        let server = try await PodiumBinary.startWhenReady(
            ["serve", "--port", "0", "--dev"], environment: tolerant, saying: "listening on http://")
        defer { server.process.terminate() }
        let base =
            server.output.split(separator: "listening on ").last?.split(separator: ";").first.map(String.init) ?? ""
        try await Self.waitFor("reads go to the replica", in: server)
        let staleOverHTTP = try await Self.get("\(base)/api/v1/items/\(id)", token: secret)
        #expect(staleOverHTTP.contains("\"stage\":\"listen\""), "GET reads the paused standby: \(staleOverHTTP)")

        try await replica.execute("select pg_wal_replay_resume()")
        await replica.close()
        try await standby.stop()
        let away = try await PodiumBinary.run(["item", "show", id, "--json"], environment: environment)
        #expect(away.stdout.contains("\"stage\" : \"draft\""), "\(away.stdout)")
        #expect(away.stderr.contains("cannot read from the replica"), "\(away.stderr)")
        try await Self.waitFor("reads go to the primary", in: server)
        let freshOverHTTP = try await Self.get("\(base)/api/v1/items/\(id)", token: secret)
        #expect(freshOverHTTP.contains("\"stage\":\"draft\""), "GET falls back to the primary: \(freshOverHTTP)")
    }

    /// A standby cut off from its primary has replayed all it received, which says nothing of
    /// what it missed: reads go to the primary, with a notice.
    @Test func aStandbyThatLostItsPrimaryIsNotReadFrom() async throws {
        let (primary, standby, environment, id) = try await Self.itemOnAPrimaryWithAStandby()
        defer { withExtendedLifetime(primary) {} }  // its deinit stops it
        let replica = try await PostgresConnection.connect(standby.configuration)
        try await replica.execute("alter system set primary_conninfo = 'host=/nonexistent port=5432'")
        try await replica.execute("select pg_reload_conf()")
        let deadline = ContinuousClock.now + .seconds(60)
        while try await replica.query(
            "select 1 from pg_stat_wal_receiver where status = 'streaming'"
        ).count > 0 {
            try #require(ContinuousClock.now < deadline, "the standby kept streaming")
            try await Task.sleep(for: .milliseconds(20))
        }
        await replica.close()
        let shown = try await PodiumBinary.run(["item", "show", id], environment: environment)
        #expect(shown.exitCode == 0, "\(shown.stderr)")
        #expect(
            shown.stderr.contains("not streaming") && shown.stderr.contains("reading from the primary"),
            "\(shown.stderr)")
    }

    /// Waits (at most a minute: a hang, not a measurement) until `process` has said `text`.
    private static func waitFor(_ text: String, in process: PodiumBinary.Running) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !process.output.contains(text) {
            try #require(ContinuousClock.now < deadline, "never said \"\(text)\": \(process.output)")
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The body of a GET, with a bearer token.
    private static func get(_ url: String, token: String) async throws -> String {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, _) = try await URLSession.shared.data(for: request)
        return String(decoding: data, as: UTF8.self)
    }

    /// A primary and its streaming standby, the environment that writes to one and reads from
    /// the other, and the id of an item made on the primary.
    private static func itemOnAPrimaryWithAStandby() async throws -> (
        primary: ThrowawayServer, standby: ThrowawayServer, environment: [String: String], item: String
    ) {
        let primary = try await ThrowawayServer()
        let standby = try await ThrowawayServer(standbyOf: primary)
        let environment = [
            "DATABASE_URL": primary.configuration.conninfoIncludingPassword(),
            "PODIUM_READ_URL": standby.configuration.conninfoIncludingPassword(),
        ]
        return (primary, standby, environment, try await itemOnANewServer(environment))
    }

    /// Migrates the server `environment` points at, loads exec-post, adds Carol and Alice, and
    /// returns the id of a new item of Alice's.
    private static func itemOnANewServer(_ environment: [String: String]) async throws -> String {
        for arguments in [
            ["migrate"], ["workflow", "load", "Workflows/exec-post.yaml"],
            ["actor", "add", "carol", "--name", "Carol", "--role", "community_manager"],
            ["actor", "add", "alice", "--name", "Alice"],
        ] {
            let result = try await PodiumBinary.run(arguments, environment: environment)
            #expect(result.exitCode == 0, "podium \(arguments.joined(separator: " ")): \(result.stderr)")
        }
        let created = try await PodiumBinary.run(
            ["item", "create", "exec-post", "--title", "Ours", "--as", "carol", "--participant", "executive=alice"],
            environment: environment)
        return created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A fire whose connection breaks while its COMMIT waits (here for a synchronous standby
    /// that never answers) may have been recorded: the command says so, not merely that the
    /// database is away, and the same idempotency key then replays it.
    @Test func aCommitCutShortSaysTheChangeMayHaveBeenRecorded() async throws {
        let server = try await ThrowawayServer()
        let environment = ["DATABASE_URL": server.configuration.conninfoIncludingPassword()]
        let id = try await Self.itemOnANewServer(environment)
        let admin = try await PostgresConnection.connect(server.configuration)
        try await admin.execute("alter system set synchronous_standby_names = 'nobody'")
        try await admin.execute("select pg_reload_conf()")
        let firing = Task {
            try await PodiumBinary.run(
                ["item", "fire", id, "start_draft", "--as", "alice", "--idempotency-key", "cut-short"],
                environment: environment)
        }
        // Wait until the fire's COMMIT waits for the standby, then end its session.
        let deadline = ContinuousClock.now + .seconds(60)
        while try await admin.query(
            "select pg_terminate_backend(pid) from pg_stat_activity where wait_event = 'SyncRep'"
        ).count == 0 {
            try #require(ContinuousClock.now < deadline, "the fire never waited for the standby")
            try await Task.sleep(for: .milliseconds(20))
        }
        let cut = try await firing.value
        #expect(cut.exitCode == 6, "\(cut.stderr)")
        #expect(cut.stderr.contains("may have been recorded"), "\(cut.stderr)")
        try await admin.execute("alter system reset synchronous_standby_names")
        try await admin.execute("select pg_reload_conf()")
        await admin.close()
        let again = try await PodiumBinary.run(
            ["item", "fire", id, "start_draft", "--as", "alice", "--idempotency-key", "cut-short"],
            environment: environment)
        #expect(again.exitCode == 0, "the key replays the recorded transition: \(again.stderr)")
        let history = try await PodiumBinary.run(["item", "history", id, "--json"], environment: environment)
        #expect(history.stdout.components(separatedBy: "start_draft").count == 2, "recorded once: \(history.stdout)")
    }
}
