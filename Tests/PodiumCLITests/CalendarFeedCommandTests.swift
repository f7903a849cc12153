import Foundation
import PodiumTestSupport
import Testing

@Suite("podium calendar-feed")
struct CalendarFeedCommandTests {
    /// A person's own feed and a program's live side by side; each is listed by id (never by
    /// address), and revoking a feed that is not theirs is "not found", changing nothing.
    @Test func feedsAreMadeListedAndEnded() async throws {
        try await PodiumSession.withDraft { session, _ in
            let own = try await session.run(["calendar-feed", "create", "--as", "carol"])
            #expect(own.exitCode == 0 && own.stdout.contains("/calendar/") && own.stdout.hasSuffix(".ics\n"))
            #expect(own.stderr.contains("carol's tasks; the address is shown only now"), "\(own.stderr)")
            let program = try await session.run(["calendar-feed", "create", "--workflow", "exec-post", "--as", "carol"])
            #expect(program.stderr.contains("of program exec-post"), "\(program.stderr)")
            let refused = try await session.run(["calendar-feed", "create", "--workflow", "exec-post", "--as", "alice"])
            #expect(refused.exitCode == 4 && refused.stderr.contains("alice runs no program"), "\(refused.stderr)")
            let listed = try await session.ok(["calendar-feed", "list", "--as", "carol", "--json"])
            let feeds = try #require(try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]])
            #expect(feeds.count == 2 && feeds.contains { $0["workflow"] as? String == "exec-post" }, "\(listed)")
            #expect(!listed.contains("/calendar/"), "a list shows no address")
            let ownID = try #require(feeds.first { $0["workflow"] == nil }?["id"] as? Int)
            let notHers = try await session.run(["calendar-feed", "revoke", "--id", "\(ownID)", "--as", "alice"])
            #expect(notHers.exitCode == 3 && notHers.stderr.contains("alice has no live calendar feed"))
            let missing = try await session.run(["calendar-feed", "revoke", "--id", "999", "--as", "carol"])
            #expect(missing.exitCode == 3, "\(missing.stderr)")
            #expect(
                try await session.ok(["calendar-feed", "revoke", "--id", "\(ownID)", "--as", "carol"])
                    == "ended 1 calendar feed of carol\n")
            let left = try await session.ok(["calendar-feed", "list", "--as", "carol"])
            #expect(left.contains("program exec-post") && !left.contains("own tasks"), "\(left)")
        }
    }
}
