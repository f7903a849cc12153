import Foundation
import LibPQ
import PodiumTestSupport
import Testing

@Suite("podium actor add and update keep what they are not told to change")
struct ActorCommandTests {
    @Test func addRefusesAnExistingHandleAndUpdateChangesOnlyWhatItIsGiven() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let session = PodiumSession(url: configuration.conninfoIncludingPassword())
            try await session.ok([
                "actor", "add", "carol", "--name", "Carol Diaz", "--role", "community_manager", "--role", "admin",
            ])
            try await session.ok([
                "actor", "add", "zed", "--name", "Zed Q", "--role", "coach", "--timezone", "Europe/London",
                "--working-hours", "Mon-Fri 08:30-17:00",
            ])
            // The refusal used to be an overwrite that wiped roles, time zone and working hours.
            let again = try await session.run(["actor", "add", "zed", "--name", "Zed Q", "--channel", "log"])
            #expect(again.exitCode == 4, "\(again.stderr)")
            #expect(again.stderr.contains("actor zed exists already"))
            #expect(again.stderr.contains("podium actor update zed"))

            try await session.ok(["actor", "update", "zed", "--channel", "file:/tmp/zed.jsonl", "--as", "carol"])
            let zed = try await session.ok(["actor", "list", "--json"])
            #expect(zed.contains("\"timezone\" : \"Europe/London\"") && zed.contains("Mon-Fri 08:30-17:00"))
            #expect(zed.contains("\"coach\"") && zed.contains("file:/tmp/zed.jsonl"))

            // Nobody gives themselves a global role: only an admin changes roles.
            let selfMade = try await session.run(["actor", "update", "zed", "--add-role", "admin", "--as", "zed"])
            #expect(selfMade.exitCode == 4 && selfMade.stderr.contains("an admin may"), "\(selfMade.stderr)")
            // A person may change their own time zone.
            try await session.ok(["actor", "update", "zed", "--timezone", "Europe/Dublin", "--as", "zed"])
            let both = try await session.run([
                "actor", "update", "zed", "--add-role", "x", "--remove-role", "x", "--as", "carol",
            ])
            #expect(both.exitCode == 2, "\(both.stderr)")
            try await session.ok(["actor", "update", "zed", "--remove-role", "coach", "--as", "carol"])
            #expect(!(try await session.ok(["actor", "list", "--json"])).contains("\"coach\""))
            let db = try await PostgresConnection.connect(configuration)
            let audit = try await db.query(
                "select changed_by, before->'roles' as before, after->'roles' as after from actor_changes order by id")
            #expect(audit.rows.count == 3)
            let last = try #require(audit.rows.last)
            #expect(try last.decode(String.self, "changed_by") == "carol")
            #expect(try last.decode(String.self, "before") == "[\"coach\"]")
            #expect(try last.decode(String.self, "after") == "[]")
            await db.close()
        }
    }

    /// A channel spec is checked when it is saved, before any database is opened; the worker
    /// used to meet `email:...`, fail five times and give up.
    @Test(arguments: ["email:zed at example.com", "webhook:ftp://x", "slack", "file:"])
    func anUnreadableChannelIsRefusedWhenSaved(spec: String) async throws {
        let result = try await PodiumBinary.run(
            ["actor", "add", "zed", "--name", "Zed Q", "--channel", spec],
            environment: ["DATABASE_URL": "postgresql:///nowhere?host=/nonexistent&port=1"])
        #expect(result.exitCode == 2, "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "unknown channel \"\(spec)\"; use log, text, email:ADDRESS, slack:URL, teams:URL, file:PATH"))
    }

    @Test func aRoleCanBeTakenAwayAndTheTimelineSaysSo() async throws {
        try await PodiumSession.withDraft { session, id in
            let refused = try await session.run(["item", "unassign", id, "coach=bob", "--as", "alice"])
            #expect(refused.exitCode == 4, "\(refused.stderr)")
            try await session.ok(["item", "unassign", id, "coach=bob", "--as", "carol"])
            let history = try await session.ok(["item", "history", id])
            #expect(history.contains("unassign") && history.contains("bob is no longer a coach"), "\(history)")
            #expect(!(try await session.ok(["item", "show", id])).contains("coach: bob"))
        }
    }
}
