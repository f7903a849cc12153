import Foundation
import LibPQ
import PodiumTestSupport
import Testing

extension PodiumSession {
    /// A fresh database with the workflows, alice (executive), bob (coach), carol (community
    /// manager), and one exec-post item in `draft`; returns the session and the item's id.
    static func withDraft(_ body: (PodiumSession, String) async throws -> Void) async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let session = PodiumSession(url: configuration.conninfoIncludingPassword())
            try await session.ok(["calendar", "load"])
            try await session.ok(["workflow", "load"])
            try await session.ok(["actor", "add", "alice", "--name", "Alice Chen"])
            try await session.ok(["actor", "add", "bob", "--name", "Bob Reyes"])
            try await session.ok(["actor", "add", "carol", "--name", "Carol Diaz", "--role", "community_manager"])
            let id = try await session.ok([
                "item", "create", "exec-post", "--title", "What support taught me", "--as", "carol",
                "--participant", "executive=alice", "--participant", "coach=bob",
            ]).trimmingCharacters(in: .whitespacesAndNewlines)
            try await session.ok(["item", "fire", id, "start_draft", "--as", "alice"])
            try await body(session, id)
        }
    }
}

@Suite("Edges of time and text through the binary")
struct EdgeInputTests {
    /// Abbreviations are refused before any database is opened: BST was read as Dhaka.
    @Test(arguments: [("BST", "Europe/London"), ("IST", "Asia/Kolkata"), ("EST", "America/New_York")])
    func aTimeZoneAbbreviationIsRefusedWithASuggestion(zone: String, suggestion: String) async throws {
        let result = try await PodiumBinary.run(
            ["actor", "add", "exec1", "--name", "Exec One", "--timezone", zone],
            environment: ["DATABASE_URL": "postgresql:///nowhere?host=/nonexistent&port=1"])
        #expect(result.exitCode == 2, "\(result.stderr)")
        #expect(result.stderr.contains("time zone \"\(zone)\" is not a tz database name"))
        #expect(result.stderr.contains("did you mean \(suggestion)?"))
    }

    /// Bad input is exit 2 even with the database away: it is parsed before any connection.
    @Test(arguments: [
        ["item", "fire", "1", "submit", "--as", "alice", "--set", "no-equals-sign"],
        ["item", "fire", "1", "submit", "--as", "alice", "--set", "Body=x"],
        ["item", "fire", "1", "submit", "--as", "alice", "--comment", " "],
        ["item", "comment", "1", "--as", "bob", "  "],
        ["item", "create", "exec-post", "--title", "T", "--as", "carol", "--participant", "coach"],
        ["item", "assign", "1", "coach", "--as", "carol"],
    ])
    func badInputIsRefusedBeforeTheDatabase(arguments: [String]) async throws {
        let result = try await PodiumBinary.run(
            arguments, environment: ["DATABASE_URL": "postgresql:///nowhere?host=/nonexistent&port=1"])
        #expect(result.exitCode == 2, "\(arguments): \(result.stderr)")
    }

    /// A value a due rule reads must be a date when it is set: `next-tuesday` would have left the
    /// stage with no deadline, no reminders and no escalation.
    @Test func aDateFieldThatIsNotADateIsRefusedAndNothingChanges() async throws {
        try await PodiumSession.withDraft { session, id in
            let refused = try await session.run([
                "item", "fire", id, "submit", "--as", "alice", "--set", "body=Three things",
                "--set", "publish_at=next-tuesday",
            ])
            #expect(refused.exitCode == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("publish_at \"next-tuesday\" is not a date"))
            #expect(refused.stderr.contains("2026-03-10T09:00:00Z"))
            let item = try await session.ok(["item", "show", id, "--json"])
            #expect(item.contains("\"stage\" : \"draft\"") && !item.contains("next-tuesday"))
        }
    }

    /// RFC 3339 allows a lowercase `t` and `z`; such a date gives the stage its due time (private
    /// review is due a day before `publish_at`).
    @Test func aLowercaseRFC3339DateGivesTheStageItsDeadline() async throws {
        try await PodiumSession.withDraft { session, id in
            try await session.ok([
                "item", "fire", id, "submit", "--as", "alice", "--set", "body=Three things",
                "--set", "publish_at=2026-03-10t09:00:00z",
            ])
            let shown = try await session.ok(["item", "show", id])
            #expect(shown.contains("due        2026-03-09 09:00 UTC"), "\(shown)")
        }
    }

    /// Before 1582 too, every output prints the proleptic Gregorian instant: private review is
    /// due a day before a `publish_at` of 1500-01-01, 1499-12-31 (Foundation's formatter printed
    /// the Julian 1499-12-22), in text, in JSON and in `stuck`.
    @Test func datesBefore1582ArePrintedAsTyped() async throws {
        try await PodiumSession.withDraft { session, id in
            try await session.ok([
                "item", "fire", id, "submit", "--as", "alice", "--set", "body=Three things",
                "--set", "publish_at=1500-01-01T00:00:00Z",
            ])
            #expect(try await session.ok(["item", "show", id]).contains("due        1499-12-31 00:00 UTC"))
            let json = try await session.ok(["item", "show", id, "--json"])
            #expect(json.contains("\"due_at\" : \"1499-12-31T00:00:00Z\""), "\(json)")
            #expect(try await session.ok(["stuck", "--json"]).contains("\"due_at\" : \"1499-12-31T00:00:00Z\""))
            #expect(try await session.ok(["stuck"]).contains("What support taught me"))
        }
    }

    /// A comment or title that would rewrite the line above (ESC [1A ESC [2K), ring the bell,
    /// hide a link (OSC 8), turn text around (U+202E) or start a line of its own is shown
    /// escaped; `--json` keeps it exact.
    @Test func controlCharactersPeopleTypedAreShownNotObeyed() async throws {
        try await PodiumSession.withDraft { session, id in
            let hostile =
                "fine\u{1B}[1A\u{1B}[2Kdone (approved by the CEO)\u{07}\u{1B}]8;;http://x\u{1B}\\link\u{1B}]8;;\u{1B}\\ \u{202E}txt.exe\nfake line"
            try await session.ok(["item", "comment", id, "--as", "bob", hostile])
            try await session.ok([
                "item", "create", "exec-post", "--title", hostile, "--as", "carol", "--participant", "executive=alice",
            ])
            for command in [["item", "show", id], ["item", "list"], ["stuck"]] {
                let shown = try await session.ok(command, at: "2026-03-20T09:00:00Z")
                #expect(!shown.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(command)")
                #expect(!shown.unicodeScalars.contains("\u{202E}"))
                #expect(shown.contains("fine\\u{1B}[1A\\u{1B}[2Kdone (approved by the CEO)\\u{7}"), "\(shown)")
                #expect(shown.contains("\\u{202E}txt.exe\\nfake line"))
            }
            let json = try await session.ok(["item", "show", id, "--json"])
            let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            let comments = decoded?["comments"] as? [[String: Any]]
            #expect(comments?.first?["body"] as? String == hostile)
        }
    }

    /// What people type into arguments is quoted in refusals with its line breaks escaped: an
    /// id such as `nope\nitem 27: listen -> draft by alice` cannot print a fake success line.
    /// Names are one line; counts fit the table.
    @Test func typedArgumentsCannotForgeLines() async throws {
        try await PodiumSession.withDraft { session, id in
            let fake = try await session.run([
                "item", "fire", id, "nope\nitem \(id): listen -> draft by alice", "--as", "alice",
            ])
            #expect(fake.exitCode == 4, "\(fake.stderr)")
            #expect(
                fake.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("podium:") || $0.hasPrefix("  hint:") })
            #expect(fake.stderr.contains("nope\\nitem"))
            let name = try await session.run(["actor", "add", "mallory", "--name", "Mal\ndone (approved by the CEO)"])
            #expect(name.exitCode == 2 && name.stderr.contains("the name must be one line"), "\(name.stderr)")
            let huge = try await session.run([
                "item", "metrics", id, "--messages", "99999999999", "--replies", "1", "--likes", "1", "--as", "carol",
            ])
            #expect(huge.exitCode == 2 && huge.stderr.contains("counts from 0 to 2147483647"), "\(huge.stderr)")
            // Emptying a date field would take the deadline away without a word.
            let emptied = try await session.run([
                "item", "fire", id, "submit", "--as", "alice", "--set", "body=b", "--set", "publish_at=",
            ])
            #expect(
                emptied.exitCode == 2 && emptied.stderr.contains("publish_at \"\" is not a date"), "\(emptied.stderr)")
        }
    }

    /// Errors are data: with `--json` a refusal is one JSON object on stderr with a stable code.
    @Test func errorsCarryStableCodes() async throws {
        try await PodiumSession.withDraft { session, id in
            try await session.ok([
                "item", "fire", id, "submit", "--as", "alice", "--set", "body=b", "--set",
                "publish_at=2026-03-10T09:00:00Z",
            ])
            try await session.ok(["item", "assign", id, "coach=alice", "--as", "carol"])
            let cases: [([String], Int32, String)] = [
                (["item", "fire", id, "approve", "--as", "alice", "--json"], 4, "refused.own_work"),
                (["item", "fire", id, "approve", "--as", "carol", "--json"], 4, "refused.not_permitted"),
                (["item", "fire", id, "publish", "--as", "bob", "--json"], 4, "refused.unknown_transition"),
                (
                    ["item", "fire", id, "approve", "--as", "bob", "--expect-revision", "1", "--json"], 5,
                    "conflict.revision"
                ),
                (["item", "show", "999999", "--json"], 3, "not_found.item"),
                (["item", "fire", id, "approve", "--as", "bob", "--comment", " ", "--json"], 2, "input.empty"),
            ]
            for (arguments, exitCode, code) in cases {
                let result = try await session.run(arguments)
                #expect(result.exitCode == exitCode, "\(arguments): \(result.stderr)")
                let object = try JSONSerialization.jsonObject(with: Data(result.stderr.utf8)) as? [String: Any]
                let error = object?["error"] as? [String: Any]
                #expect(error?["code"] as? String == code, "\(arguments): \(result.stderr)")
                #expect(error?["exit_code"] as? Int == Int(exitCode))
                #expect((error?["message"] as? String)?.isEmpty == false)
            }
        }
    }

    /// Text is shortened at a word boundary with an ellipsis, never mid-word (`So our roa`).
    @Test func shortenedTextEndsAtAWord() async throws {
        try await PodiumSession.withDraft { session, id in
            try await session.ok([
                "item", "fire", id, "submit", "--as", "alice", "--set",
                "body=So our roadmap is open now, and we want to hear what customers think of it before we ship",
                "--set", "publish_at=2026-03-10T09:00:00Z",
            ])
            let shown = try await session.ok(["item", "show", id])
            #expect(shown.contains("body=So our roadmap is open now, and we want to hear what…;"), "\(shown)")
        }
    }

    /// A negative number is a value, not an unknown option: each number option says what it
    /// accepts (`item metrics --messages -3` used to say "Missing value").
    @Test(arguments: [
        (
            ["item", "metrics", "1", "--messages", "-3", "--replies", "0", "--likes", "0", "--as", "carol"],
            "--messages must be 0 or more, not -3"
        ),
        (
            ["item", "fire", "1", "submit", "--as", "alice", "--expect-revision", "-1"],
            "--expect-revision must be 1 or more"
        ),
        (["stuck", "--limit", "-5"], "--limit must be 1 or more, not -5"),
        (["worker", "--once", "--concurrency", "-2"], "--concurrency must be 1 to 256"),
        (["workflow", "migrate", "exec-post", "--to", "-1", "--as", "carol"], "--to must be a version, 1 or more"),
        (["serve", "--port", "-80"], "--port must be 0 to 65535"),
    ])
    func negativeNumbersAreValuesWithClearRefusals(arguments: [String], message: String) async throws {
        let result = try await PodiumBinary.run(
            arguments, environment: ["DATABASE_URL": "postgresql:///nowhere?host=/nonexistent&port=1"])
        #expect(result.exitCode == 2, "\(result)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stderr.contains("Missing value"), "\(result.stderr)")
    }

    /// Lengths count what the database counts (code points): a Hindi title of 430 visible
    /// characters is refused with exit 2 and the limit, not a raw SQL error with exit 6.
    @Test func limitsCountWhatTheDatabaseCounts() async throws {
        try await PodiumSession.withDraft { session, id in
            let hindi = String(repeating: "नमस्ते ", count: 72)  // 288 characters, 503 code points trimmed
            #expect(hindi.count < 500 && hindi.unicodeScalars.count > 500)
            let title = try await session.run([
                "item", "create", "exec-post", "--title", hindi, "--as", "carol", "--participant", "executive=alice",
            ])
            #expect(title.exitCode == 2, "\(title.stderr)")
            #expect(title.stderr.contains("the title is 503 characters (Unicode code points); the limit is 500"))
            let emoji = String(repeating: "👍🏽", count: 3_000)  // 3,000 characters, 6,000 code points
            let comment = try await session.run(["item", "comment", id, "--as", "bob", emoji + emoji])
            #expect(comment.exitCode == 2, "\(comment.stderr)")
            #expect(comment.stderr.contains("the limit is 10000"))
        }
    }
}

@Suite("Times in the reader's zone")
struct ReaderZoneTests {
    /// The item was created at 2026-03-02T09:00:00Z. Text shows it on the wall clock of `--tz`,
    /// else `PODIUM_TZ`, else the `--as` person's zone, else UTC; `--json` stays UTC.
    @Test func timesAreShownWhereTheReaderIs() async throws {
        try await PodiumSession.withDraft { session, id in
            try await session.ok(["actor", "update", "alice", "--timezone", "America/New_York", "--as", "carol"])
            let utc = try await session.ok(["item", "history", id])
            #expect(utc.contains("2026-03-02 09:00 UTC"), "\(utc)")
            let hers = try await session.ok(["item", "history", id, "--as", "alice"])
            #expect(hers.contains("2026-03-02 04:00 EST"), "\(hers)")
            let nepal = try await session.ok(["item", "history", id, "--tz", "Asia/Kathmandu", "--as", "alice"])
            #expect(nepal.contains("2026-03-02 14:45 GMT+5:45"), "--tz wins over --as: \(nepal)")
            let paris = try await session.run(["item", "history", id], environment: ["PODIUM_TZ": "Europe/Paris"])
            #expect(paris.exitCode == 0 && paris.stdout.contains("2026-03-02 10:00 GMT+1"), "\(paris)")
            let shown = try await session.ok(["item", "show", id, "--as", "alice"])
            #expect(shown.contains(" EST") && !shown.contains(" UTC"), "\(shown)")
            let json = try await session.ok(["item", "history", id, "--json", "--as", "alice"])
            #expect(json.contains("\"at\" : \"2026-03-02T09:00:00Z\""), "\(json)")
            let tasks = try await session.ok(["tasks", "list", "--tz", "Asia/Kolkata"])
            #expect(tasks.contains("GMT+5:30"), "\(tasks)")
            let abbreviation = try await session.run(["item", "history", id, "--tz", "BST"])
            #expect(abbreviation.exitCode == 2 && abbreviation.stderr.contains("Europe/London"), "\(abbreviation)")
            let nobody = try await session.run(["item", "history", id, "--as", "nobody"])
            #expect(nobody.exitCode == 3, "\(nobody)")
        }
    }
}
