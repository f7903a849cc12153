import Foundation
import LibPQ
import PodiumTestSupport
import Testing

@Suite("podium token: shown once, stored as a hash, revoked at once")
struct TokenCommandTests {
    @Test func aTokenIsPrintedOnceAndOnlyItsHashIsKept() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let session = PodiumSession(url: configuration.conninfoIncludingPassword())
            try await session.ok(["actor", "add", "carol", "--name", "Carol", "--role", "community_manager"])
            try await session.ok(["actor", "add", "root", "--name", "Root", "--role", "admin"])
            try await session.ok(["actor", "add", "dana", "--name", "Dana"])
            let token = try await session.ok(["token", "create", "--name", "ci", "--as", "carol"])
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.hasPrefix("pdm_") && token.count == 47, "\(token)")

            let db = try await PostgresConnection.connect(configuration)
            let stored = try await db.query("select prefix, token_sha256 from api_tokens").single()
            #expect(try stored.decode(String.self, "prefix") == String(token.prefix(8)))
            #expect(try stored.decode(String.self, "token_sha256") != token)
            await db.close()

            let listed = try await session.ok(["token", "list", "--as", "carol"])
            #expect(listed.contains("ci") && listed.contains("active") && !listed.contains(token), "\(listed)")

            let twice = try await session.run(["token", "create", "--name", "ci", "--as", "carol"])
            #expect(twice.exitCode == 5 && twice.stderr.contains("already has a live token named ci"), "\(twice)")
            let tooLong = try await session.run([
                "token", "create", "--name", "x", "--expires", "400d", "--as", "carol",
            ])
            #expect(tooLong.exitCode == 2, "\(tooLong)")

            // Nobody sees or revokes another person's tokens but an admin.
            let everyone = try await session.run(["token", "list", "--all", "--as", "carol"])
            #expect(everyone.exitCode == 4, "\(everyone)")
            let notYours = try await session.run(["token", "revoke", "1", "--as", "dana"])
            #expect(notYours.exitCode == 3 && notYours.stderr.contains("dana has no token #1"), "\(notYours)")
            try await session.ok(["token", "revoke", "1", "--as", "root"])
            let all = try await session.ok(["token", "list", "--all", "--as", "root"])
            #expect(all.contains("revoked"), "\(all)")
            // A revoked token's name may be given again.
            try await session.ok(["token", "create", "--name", "ci", "--as", "carol"])
        }
    }

    @Test func historySaysEachEntryCameThroughTheShell() async throws {
        try await PodiumSession.withDraft { session, id in
            let history = try await session.ok(["item", "history", id, "--json"])
            #expect(history.contains("\"via\" : \"cli\""), "\(history)")
            #expect(!history.contains("\"via\" : \"api\""))
        }
    }
}
