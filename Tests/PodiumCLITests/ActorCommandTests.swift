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

    /// `actor away` with a stand-in: the list says so, the stand-in approves "for bob", and once
    /// Bob is back the stand-in has no part any more.
    @Test func awayWithAStandInAndBack() async throws {
        try await PodiumSession.withDraft { session, id in
            try await session.ok(["actor", "add", "sam", "--name", "Sam Okafor"])
            let refused = try await session.run([
                "actor", "away", "bob", "--until", "2026-03-16", "--delegate-to", "sam", "--as", "alice",
            ])
            #expect(refused.exitCode == 4 && refused.stderr.contains("alice may not record absences for bob"))
            let bad = try await session.run(["actor", "away", "bob", "--until", "next week", "--as", "bob"])
            #expect(bad.exitCode == 2 && bad.stderr.contains("--until next week is not a day or a time"))
            let away = try await session.ok([
                "actor", "away", "bob", "--until", "2026-03-16", "--delegate-to", "sam", "--as", "bob",
            ])
            #expect(away == "bob is away 2026-03-02T09:00:00Z to 2026-03-16T00:00:00Z, sam stands in\n", "\(away)")
            let list = try await session.ok(["actor", "list"])
            #expect(list.contains("2026-03-16T00:00:00Z, sam stands in"), "\(list)")
            try await session.ok([
                "item", "fire", id, "submit", "--as", "alice", "--set", "body=b", "--set",
                "publish_at=2026-03-10T09:00:00Z",
            ])
            try await session.ok(["item", "fire", id, "approve", "--as", "sam"])
            let history = try await session.ok(["item", "history", id])
            #expect(history.contains("sam for bob (coach)"), "\(history)")
            let json = try await session.ok(["item", "history", id, "--json"])
            #expect(json.contains("\"on_behalf_of\" : \"bob\""), "\(json)")
            #expect(try await session.ok(["actor", "back", "bob", "--as", "bob"]).contains("bob is back"))
            let notAway = try await session.run(["actor", "back", "bob", "--as", "bob"])
            #expect(notAway.exitCode == 3 && notAway.stderr.contains("bob is not away"))
            // An absence ahead, ended before it starts, is cancelled, and says so.
            try await session.ok([
                "actor", "away", "bob", "--from", "2026-03-20", "--until", "2026-03-25", "--as", "bob",
            ])
            let cancelled = try await session.ok(["actor", "back", "bob", "--as", "bob"])
            #expect(cancelled == "bob's absence from 2026-03-20T00:00:00Z is cancelled\n", "\(cancelled)")
            // A digest time may be written 7:30; it is kept as 07:30.
            let digest = try await session.ok([
                "actor", "update", "bob", "--delivery", "digest", "--digest-at", "7:30", "--as", "bob",
            ])
            #expect(digest.contains("a daily digest at 07:30"), "\(digest)")
        }
    }
}
