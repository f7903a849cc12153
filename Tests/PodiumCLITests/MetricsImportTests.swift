import Foundation
import LibPQ
import PodiumTestSupport
import Testing

/// Exports shaped like each platform's (made-up data), with what real ones hold: a byte order
/// mark, quoted commas and quotes, thousands separators, posts Podium does not know, a bad row.
private let linkedin = """
    \u{FEFF}Post title,Post link,Post type,Created date,Impressions,Clicks,Reactions,Comments,Reposts
    "Why we opened our roadmap, and what ""open"" means",https://www.linkedin.com/feed/update/urn:li:activity:1/?utm_source=share,Text,03/16/2026,"12,480",310,"1,204",96,41
    A post from marketing,https://www.linkedin.com/feed/update/urn:li:activity:999/,Image,03/17/2026,900,12,40,2,1
    "Three things support taught me",https://www.linkedin.com/feed/update/urn:li:activity:2,Text,3/23/2026,5 120,80,388,"1,020",7
    Broken,https://www.linkedin.com/feed/update/urn:li:activity:2,Text,03/30/2026,n/a,1,2,3,4

    """

private let x = """
    Post id,Post permalink,Post text,time,impressions,engagements,reposts,replies,likes
    1,https://x.com/dana/status/111,"Our roadmap is public. What is missing?",2026-03-16 14:05 +0000,8812,402,33,57,301
    2,https://x.com/dana/status/222,"Hello, again",2026-03-18 09:00 -0500,1'024,20,1,2,17

    """

@Suite("podium metrics import: engagement from the platforms' exports")
struct MetricsImportTests {
    @Test func importsEachPlatformsExportOnceAndSaysWhatItCouldNotMatch() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let session = PodiumSession(url: configuration.conninfoIncludingPassword())
            try await session.ok(["calendar", "load"])
            try await session.ok(["workflow", "load"])
            try await session.ok(["actor", "add", "carol", "--name", "Carol", "--role", "community_manager"])
            try await session.ok(["actor", "add", "dana", "--name", "Dana"])
            for url in [
                "https://www.linkedin.com/feed/update/urn:li:activity:1",
                "https://www.linkedin.com/feed/update/urn:li:activity:2/",
                "https://X.com/dana/status/111", "https://x.com/dana/status/222",
            ] {
                try await session.ok([
                    "item", "create", "exec-post", "--title", "A post", "--as", "carol", "--participant",
                    "executive=dana",
                    "--set", "url=\(url)",
                ])
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("podium-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let linkedinFile = folder.appendingPathComponent("linkedin.csv")
            try linkedin.write(to: linkedinFile, atomically: true, encoding: .utf8)

            let first = try await session.run([
                "metrics", "import", linkedinFile.path, "--format", "linkedin", "--as", "carol",
            ])
            #expect(first.exitCode == 0, "\(first)")
            #expect(
                first.stdout == "2 added, 0 updated, 0 unchanged; 1 matched no item; 1 could not be read\n", "\(first)")
            #expect(first.stderr.contains("row 4: impressions \"n/a\" is not a count"), "\(first.stderr)")
            #expect(
                first.stderr.contains(
                    "row 2: no item has the post https://www.linkedin.com/feed/update/urn:li:activity:999/"))

            let db = try await PostgresConnection.connect(configuration)
            let stored = try await db.query(
                "select item_id, messages, replies, likes, impressions, measured_at::text as at from engagement order by item_id"
            )
            #expect(
                try stored.map {
                    [
                        try $0.decode(Int.self, "item_id"), try $0.decode(Int.self, "messages"),
                        try $0.decode(Int.self, "replies"), try $0.decode(Int.self, "likes"),
                        try $0.decode(Int.self, "impressions"),
                    ]
                } == [[1, 41, 96, 1_204, 12_480], [2, 7, 1_020, 388, 5_120]])
            #expect(try stored.first?.decode(String.self, "at") == "2026-03-16 00:00:00+00")

            // The same file again changes nothing; a corrected one changes what changed.
            let again = try await session.ok([
                "metrics", "import", linkedinFile.path, "--format", "linkedin", "--as", "carol",
            ])
            #expect(again == "0 added, 0 updated, 2 unchanged; 1 matched no item; 1 could not be read\n", "\(again)")
            try linkedin.replacingOccurrences(of: "\"1,204\",96,41", with: "\"1,310\",96,41")
                .write(to: linkedinFile, atomically: true, encoding: .utf8)
            let corrected = try await session.ok([
                "metrics", "import", linkedinFile.path, "--format", "linkedin", "--as", "carol",
            ])
            #expect(corrected.hasPrefix("0 added, 1 updated, 1 unchanged"), "\(corrected)")

            let xFile = folder.appendingPathComponent("x.csv")
            try x.write(to: xFile, atomically: true, encoding: .utf8)
            #expect(
                try await session.ok(["metrics", "import", xFile.path, "--format", "x", "--as", "carol"])
                    == "2 added, 0 updated, 0 unchanged\n")
            let times = try await db.query(
                "select measured_at::text as at, impressions from engagement where item_id in (3, 4) order by item_id")
            #expect(
                try times.map { try $0.decode(String.self, "at") } == [
                    "2026-03-16 14:05:00+00", "2026-03-18 14:00:00+00",
                ])
            #expect(try times.map { try $0.decode(Int.self, "impressions") } == [8_812, 1_024])
            await db.close()

            // Another export's columns, named with --map; what is missing is said before anything is read.
            let generic = folder.appendingPathComponent("generic.csv")
            try "Post URL,day,messages,replies,likes\nhttps://x.com/dana/status/111,2026-03-30,1,2,3\n"
                .write(to: generic, atomically: true, encoding: .utf8)
            let unmapped = try await session.run([
                "metrics", "import", generic.path, "--format", "generic", "--as", "carol",
            ])
            #expect(
                unmapped.exitCode == 2
                    && unmapped.stderr.contains("needs a column \"url\" (for url) and a column \"date\" (for date)"),
                "\(unmapped)")
            let mapped = try await session.ok([
                "metrics", "import", generic.path, "--format", "generic", "--map", "Post URL=url", "--map", "day=date",
                "--as", "carol",
            ])
            #expect(mapped == "1 added, 0 updated, 0 unchanged\n", "\(mapped)")
            // An export without impressions keeps those recorded; an empty cell is unknown, not 0.
            try
                "url,date,messages,replies,likes,impressions\nhttps://x.com/dana/status/111,2026-03-16 14:05 +0000,33,57,301,\n"
                .write(to: generic, atomically: true, encoding: .utf8)
            let noImpressions = try await session.ok([
                "metrics", "import", generic.path, "--format", "generic", "--as", "carol",
            ])
            #expect(noImpressions == "0 added, 0 updated, 1 unchanged\n", "\(noImpressions)")
            let kept = try await PostgresConnection.connect(configuration)
            let impressions = try await kept.query(
                "select impressions from engagement where item_id = 3 and measured_at = '2026-03-16T14:05:00Z'"
            ).single()
            #expect(try impressions.decode(Int.self, "impressions") == 8_812)
            await kept.close()
            let badField = try await session.run([
                "metrics", "import", generic.path, "--format", "generic", "--map", "Post URL=link", "--as", "carol",
            ])
            #expect(badField.exitCode == 2 && badField.stderr.contains("link is not a field"), "\(badField)")
            // Only those who run the programs record engagement.
            let dana = try await session.run(["metrics", "import", xFile.path, "--format", "x", "--as", "dana"])
            #expect(dana.exitCode == 4, "\(dana)")
        }
    }
}
