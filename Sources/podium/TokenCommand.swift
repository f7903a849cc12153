import ArgumentParser
import Foundation
import PodiumCore
import WorkflowEngine
import WorkflowLanguage

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Makes, lists and revokes personal API tokens for podium serve.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Makes a token that acts as you over the HTTP API; it is printed once, never again.",
            discussion: """
                The token has exactly your rights: what you may do with podium item, you may do
                with it, and nothing more. Only its SHA-256 is stored.

                Example:
                  podium token create --name scheduler --expires 30d --as carol
                  curl -H "Authorization: Bearer pdm_..." http://127.0.0.1:8080/api/v1/me
                """
        )

        @Option(help: "A name to tell it apart, unique among your tokens (e.g. ci, scheduler).")
        var name: String

        @Option(help: "How long it lives: 1h, 30d, 52w... (at most 366d).")
        var expires = "90d"

        @OptionGroup var actor: ActingAs
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let lifetime: WorkflowDuration
            do {
                lifetime = try WorkflowDuration(parsing: expires)
            } catch {
                throw PodiumError(.usage, "--expires \(expires): \(error)", reason: "lifetime")
            }
            let (token, record) = try await Services.open().tokens.create(
                for: actor.handle, name: name, lifetime: TimeInterval(lifetime.seconds))
            if output.json { return try JSONOutput.print(CreatedToken(token: token, record: record)) }
            Terminal.output(token)
            Terminal.error(
                "token #\(record.id) \"\(Terminal.field(record.name))\" acts as \(record.actor) until \(DataDate.format(record.expiresAt)); it is shown only now"
            )
        }
    }

    /// `token create --json`: the token, once, beside its record.
    struct CreatedToken: Encodable {
        let token: String
        let record: TokenRecord
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists your tokens (an admin's --all: everyone's); never the tokens themselves.")

        @Flag(help: "Everyone's tokens (admins only).")
        var all = false

        @OptionGroup var actor: ActingAs
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let tokens = try await Services.open().tokens.list(by: actor.handle, everyone: all)
            if output.json { return try JSONOutput.print(tokens) }
            guard !tokens.isEmpty else { return Terminal.output("no tokens") }
            Terminal.output(
                Table.render(
                    ["ID", "OWNER", "NAME", "STARTS", "EXPIRES", "LAST USED", "STATE"],
                    tokens.map { token in
                        [
                            "#\(token.id)", token.actor, token.name, token.prefix + "…",
                            DataDate.format(token.expiresAt), token.lastUsedAt.map(DataDate.format) ?? "never",
                            token.revokedAt.map { "revoked \(DataDate.format($0))" } ?? "active",
                        ]
                    }))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revokes a token (your own, or anyone's for an admin): refused by every server within 10 s.",
            discussion: """
                Example:
                  podium token revoke 3 --as carol
                """
        )

        @Argument(help: "The token's number, from token list.")
        var id: Int

        @OptionGroup var actor: ActingAs
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let record = try await Services.open().tokens.revoke(id, by: actor.handle)
            if output.json { return try JSONOutput.print(record) }
            Terminal.output("token #\(record.id) \"\(record.name)\" of \(record.actor) is revoked")
        }
    }
}
