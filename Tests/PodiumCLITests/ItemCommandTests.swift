import Foundation
import LibPQ
import PodiumTestSupport
import Testing

@Suite("podium actor and podium item")
struct ItemCommandTests {
    @Test func aWholeExecPostThroughTheBinary() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let cli = PodiumSession(url: configuration.conninfoIncludingPassword())
            try await cli.ok(["calendar", "load"])
            try await cli.ok(["workflow", "load"])
            try await cli.ok(["actor", "add", "alice", "--name", "Alice Chen", "--timezone", "America/New_York"])
            try await cli.ok(["actor", "add", "bob", "--name", "Bob Reyes"])
            try await cli.ok(["actor", "add", "carol", "--name", "Carol Diaz", "--role", "community_manager"])
            #expect(
                try await cli.ok(["actor", "list", "--json"]).contains("\"working_hours\" : \"Mon-Fri 09:00-18:00\""))

            let id = try await cli.ok([
                "item", "create", "exec-post", "--title", "What support taught me", "--as", "carol",
                "--participant", "executive=alice", "--participant", "coach=bob",
            ]).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(Int(id) != nil)

            let refused = try await cli.run(["item", "fire", id, "submit", "--as", "alice"])
            #expect(refused.exitCode == 4)
            #expect(refused.stderr.contains("submit is not possible from listen; from listen: start_draft (executive)"))

            try await cli.ok(["item", "fire", id, "start_draft", "--as", "alice"], at: "2026-03-03T09:00:00Z")
            let missing = try await cli.run(
                ["item", "fire", id, "submit", "--as", "alice"], at: "2026-03-03T10:00:00Z")
            #expect(missing.exitCode == 4 && missing.stderr.contains("submit requires: body, publish_at"))
            try await cli.ok(
                [
                    "item", "fire", id, "submit", "--as", "alice", "--set", "body=Three things support taught me",
                    "--set", "publish_at=2026-03-10T09:00:00Z",
                ], at: "2026-03-04T09:00:00Z")
            try await cli.ok(
                ["item", "fire", id, "request_changes", "--as", "bob", "--comment", "Lead with the customer's words."],
                at: "2026-03-05T09:00:00Z")
            try await cli.ok(
                ["item", "fire", id, "submit", "--as", "alice", "--idempotency-key", "resubmit-1"],
                at: "2026-03-05T15:00:00Z")
            let replay = try await cli.ok([
                "item", "fire", id, "submit", "--as", "alice", "--idempotency-key", "resubmit-1",
            ])
            #expect(replay.contains("replayed"))

            let shown = try await cli.ok(["item", "show", id, "--json"], at: "2026-03-06T09:00:00Z")
            #expect(shown.contains("\"stage\" : \"private_review\""))
            #expect(shown.contains("\"due_at\" : \"2026-03-09T09:00:00Z\""))
            let revisionLine = shown.split(separator: "\n").first { $0.contains("\"revision\"") } ?? ""
            let revision = String(revisionLine.filter(\.isNumber))
            let stale = try await cli.run(["item", "fire", id, "approve", "--as", "bob", "--expect-revision", "1"])
            #expect(stale.exitCode == 5 && stale.stderr.contains("expected revision 1, it is at \(revision)"))
            try await cli.ok(
                ["item", "fire", id, "approve", "--as", "bob", "--expect-revision", String(revision)],
                at: "2026-03-07T09:00:00Z")
            try await cli.ok(
                ["item", "fire", id, "published", "--as", "carol", "--set", "url=https://social.example/alice/1"],
                at: "2026-03-10T09:05:00Z")
            try await cli.ok(
                ["item", "comment", id, "--as", "bob", "Answer the pricing question first."], at: "2026-03-10T10:00:00Z"
            )
            try await cli.ok(
                ["item", "fire", id, "wrap_up", "--as", "alice", "--comment", "Answered every reply."],
                at: "2026-03-12T09:00:00Z")

            let history = try await cli.ok(["item", "history", id, "--json"])
            for transition in ["start_draft", "submit", "request_changes", "approve", "published", "wrap_up"] {
                #expect(history.contains("\"transition\" : \"\(transition)\""))
            }
            #expect(history.contains("\"from_stage\" : \"private_review\""))
            let text = try await cli.ok(["item", "history", id])
            #expect(text.contains("request_changes  private_review -> draft"))
            let closed = try await cli.run(["item", "fire", id, "withdraw", "--as", "alice", "--comment", "no"])
            #expect(closed.exitCode == 4 && closed.stderr.contains("is closed"))
            #expect(try await cli.ok(["item", "list", "--all"]).contains("closed"))
            #expect(try await cli.ok(["check"]).contains("ok"))
        }
    }

    @Test func usageAndNotFoundExitCodes() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let cli = PodiumSession(url: configuration.conninfoIncludingPassword())
            try await cli.ok(["calendar", "load"])
            try await cli.ok(["workflow", "load"])
            let missingItem = try await cli.run(["item", "show", "4242"])
            #expect(missingItem.exitCode == 3 && missingItem.stderr.contains("no item 4242"))
            let badSet = try await cli.run([
                "item", "create", "exec-post", "--title", "t", "--as", "system", "--set", "Bad Key=1",
            ])
            #expect(badSet.exitCode == 2)
            let unknownWorkflow = try await cli.run(["item", "create", "exec-pots", "--title", "t", "--as", "system"])
            #expect(unknownWorkflow.exitCode == 3 && unknownWorkflow.stderr.contains("loaded: ambassador"))
            try await cli.ok(["actor", "add", "alice", "--name", "Alice"])
            try await cli.ok(["actor", "add", "carol", "--name", "Carol", "--role", "community_manager"])
            // Naming the people of a new item is assigning them: the community manager's to do.
            let selfNamed = try await cli.run([
                "item", "create", "exec-post", "--title", "t", "--as", "alice", "--participant", "executive=alice",
            ])
            #expect(selfNamed.exitCode == 4 && selfNamed.stderr.contains("may not name executive"))
            try await cli.ok([
                "item", "create", "exec-post", "--title", "t", "--as", "carol", "--participant", "executive=alice",
            ])
            #expect(
                try await cli.ok(["stuck", "--fail-if-any"], at: "2026-03-03T09:00:00Z").contains("nothing is stuck"))
            let stuck = try await cli.run(["stuck", "--json", "--fail-if-any"], at: "2026-03-09T09:00:00Z")
            #expect(stuck.exitCode == 1)
            #expect(stuck.stdout.contains("\"kind\" : \"overdue\"") && stuck.stdout.contains("\"item_id\" : 1"))
            let live = try await cli.ok(["workflow", "graph", "exec-post", "--live"], at: "2026-03-09T09:00:00Z")
            #expect(live.contains("listen[\"Listen first<br/>1 open, 1 overdue\"]"))
            try await cli.ok([
                "item", "metrics", "1", "--messages", "100", "--replies", "10", "--likes", "40", "--at", "2026-03-01",
                "--as", "carol",
            ])
            #expect(try await cli.ok(["report", "impact", "--json"]).contains("\"executive\" : \"alice\""))
            let page = try await cli.ok(["report", "flow", "--format", "html"], at: "2026-03-09T09:00:00Z")
            #expect(page.hasPrefix("<!doctype html>") && page.contains("<table>") && !page.contains("<script"))
            let missingArgument = try await cli.run(["item", "fire"])
            #expect(missingArgument.exitCode == 2 && missingArgument.stderr.contains("Missing expected argument"))
            let badNotifier = try await cli.run(["worker", "--once", "--notifier", "email:x"])
            #expect(badNotifier.exitCode == 2 && badNotifier.stderr.contains("unknown channel"))
            let badClock = try await PodiumBinary.run(
                ["item", "list"], environment: ["DATABASE_URL": cli.url, "PODIUM_NOW": "tomorrow"])
            #expect(badClock.exitCode == 2)
        }
    }
}
