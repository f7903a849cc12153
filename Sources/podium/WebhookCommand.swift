import ArgumentParser
import Foundation
import PodiumCore
import PodiumWorker
import WorkflowEngine

struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Subscribes URLs to history events: every create, transition, approval, comment, assignment and fix.",
        discussion: """
            Each history entry becomes an event, written in the entry's own transaction (an outbox)
            and posted by the workers with the same leases, retries and backoff as reminders, so a
            receiver that is down loses nothing. The JSON carries a stable id (evt_<history id>),
            the item's revision (to order and deduplicate) and the entry; the body is signed with
            HMAC-SHA256 of \(Deliverer.secretVariable) in X-Podium-Signature, as the webhook channel is.
            """,
        subcommands: [Add.self, List.self, Remove.self, Retry.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Subscribes a URL (a community manager or an admin).",
            discussion: """
                Example:
                  podium webhook add https://intranet.example.com/podium --event transition --workflow exec-post --as carol
                """
        )

        @Argument(help: "The http(s) URL events are posted to.")
        var url: String

        @Option(
            help:
                "A history kind to receive (repeatable; default: all): \(HistoryKind.allCases.map(\.rawValue).joined(separator: ", "))."
        )
        var event: [String] = []

        @Option(help: "Only this workflow's items.")
        var workflow: String?

        @OptionGroup var actor: ActingAs
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let hook = try await Services.open().webhooks.add(
                url: url, events: event, workflow: workflow, by: actor.handle)
            if output.json { return try JSONOutput.print(hook) }
            Terminal.output("webhook #\(hook.id): \(hook.url)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists subscriptions with their pending and dead events.")

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let hooks = try await Services.open().webhooks.list()
            if output.json { return try JSONOutput.print(hooks) }
            guard !hooks.isEmpty else { return Terminal.output("no webhooks") }
            Terminal.output(
                Table.render(
                    ["ID", "URL", "EVENTS", "WORKFLOW", "PENDING", "DEAD"],
                    hooks.map {
                        [
                            "#\($0.id)", $0.url, $0.events?.joined(separator: ",") ?? "all", $0.workflow ?? "all",
                            "\($0.pending)", "\($0.dead)",
                        ]
                    }))
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sends a webhook's given-up (dead) events again, once its receiver is fixed.",
            discussion: "Example:\n  podium webhook retry 2 --dry-run --as carol")

        @Argument(help: "The webhook's number, from webhook list.")
        var id: Int

        @Flag(help: "Only say how many would be sent again.")
        var dryRun = false

        @OptionGroup var actor: ActingAs

        func run() async throws {
            let count = try await Services.open().webhooks.retryDead(id, by: actor.handle, dryRun: dryRun)
            Terminal.output(
                dryRun
                    ? "webhook #\(id): \(count) dead event(s) would be sent again"
                    : "webhook #\(id): \(count) dead event(s) sent again")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ends a subscription; events already written are still delivered.")

        @Argument(help: "The webhook's number, from webhook list.")
        var id: Int

        @OptionGroup var actor: ActingAs

        func run() async throws {
            try await Services.open().webhooks.remove(id, by: actor.handle)
            Terminal.output("webhook #\(id) removed")
        }
    }
}
