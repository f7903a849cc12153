import Foundation
import LibPQ
import PodiumCore
import WorkflowEngine

/// A person's daily digest as they read it: what waited for it, grouped by program, each item
/// once with its stage, due time on their clock (overdue marked) and page; in the format of
/// their channel (text, JSON, email, Slack, Teams).
struct DigestMessage {
    let context: DigestContext
    /// The message's idempotency key: the digest task's key and the person.
    let key: String
    let links: LinkMaker?
    let writtenAt: Date

    init(_ context: DigestContext, key: String, links: LinkMaker?, now: Date) {
        self.context = context
        self.key = key
        self.links = links
        writtenAt = now
    }

    private var time: LocalTime { LocalTime(zone: context.person.timezone, now: writtenAt) }
    private var entries: [DigestContext.Entry] { context.programs.flatMap(\.entries) }
    private var overdue: Int { entries.filter { $0.dueAt.map { $0 < writtenAt } ?? false }.count }

    /// "3 items, 1 overdue".
    var summary: String {
        let count = entries.count
        return "\(count) \(count == 1 ? "item" : "items")" + (overdue > 0 ? ", \(overdue) overdue" : "")
    }

    /// "Why we opened our roadmap: Private review with the coach, due Thu 14:00 (overdue)".
    private func line(_ entry: DigestContext.Entry) -> String {
        let due = entry.dueAt.map { ", due \(time.instant($0))" + ($0 < writtenAt ? " (overdue)" : "") } ?? ""
        return "\(entry.title): \(entry.stageTitle)\(due)"
    }

    /// What `channel` carries, as ``Message/body(for:mailFrom:)`` does for one reminder.
    func body(for channel: DeliveryChannel, mailFrom: String) -> Data {
        switch channel {
        case .text: Data(rendered().utf8)
        case .email(let address): mail(to: address, from: mailFrom).rendered()
        case .slack: slackBlocks()
        case .teams: teamsCard()
        default: encoded()
        }
    }

    func rendered() -> String {
        func shown(_ text: String) -> String { VisibleText.escaping(text, keepingNewlines: false) }
        var lines = ["┌ Your Podium digest, \(shown(context.person.name)): \(summary)"]
        for program in context.programs {
            lines.append("│ \(shown(program.title))")
            for entry in program.entries {
                lines.append("│   • \(shown(line(entry)))")
                if let links { lines.append("│     Open: \(links.itemURL(entry.itemID))") }
            }
        }
        lines.append("└ Times are yours (\(time.name)). At a terminal: podium item show ID")
        return lines.joined(separator: "\n")
    }

    /// One line of JSON, keys sorted: the digest and its items.
    func encoded() -> Data {
        var items: [[String: Any]] = []
        for program in context.programs {
            for entry in program.entries {
                var item: [String: Any] = [
                    "item_id": entry.itemID, "labels": entry.labels, "program": program.title,
                    "overdue": entry.dueAt.map { $0 < writtenAt } ?? false, "stage_title": entry.stageTitle,
                    "title": entry.title, "workflow": entry.workflow,
                ]
                if let dueAt = entry.dueAt { item["due_at"] = DataDate.format(dueAt) }
                if let links { item["item_url"] = links.itemURL(entry.itemID) }
                items.append(item)
            }
        }
        let object: [String: Any] = [
            "idempotency_key": key, "kind": "digest", "recipient": context.person.handle,
            "recipient_name": context.person.name, "summary": summary, "items": items,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
    }

    func mail(to address: String, from: String) -> MailMessage {
        var paragraphs = ["\(context.person.name),", "What waits on you today (\(summary)), times on your clock:"]
        for program in context.programs {
            paragraphs.append(
                ([program.title]
                    + program.entries.map { entry in
                        "• \(line(entry))" + (links.map { "\n  \($0.itemURL(entry.itemID))" } ?? "")
                    }).joined(separator: "\n"))
        }
        var mail = MailMessage(
            to: address, toName: context.person.name, from: from, date: writtenAt,
            subject: "Your Podium digest: \(summary)", paragraphs: paragraphs,
            action: links.map { ("Open My tasks", $0.inboxURL) }, itemURL: nil,
            footer: "You chose a daily digest; change it on My tasks.", key: key)
        mail.preferencesURL = links?.preferencesURL
        return mail
    }

    func slackBlocks() -> Data {
        var blocks: [[String: Any]] = [
            [
                "type": "header",
                "text": ["type": "plain_text", "text": ChatCard.cut("Your Podium digest: \(summary)", to: 150)],
            ]
        ]
        for program in context.programs {
            let lines = program.entries.map { entry in
                "• " + ChatCard.mrkdwn(line(entry)) + (links.map { " <\($0.itemURL(entry.itemID))|open>" } ?? "")
            }
            blocks.append([
                "type": "section",
                "text": [
                    "type": "mrkdwn",
                    "text": ChatCard.cut(
                        "*\(ChatCard.mrkdwn(program.title))*\n" + lines.joined(separator: "\n"), to: 3000),
                ],
            ])
        }
        return ChatCard.json([
            "text": ChatCard.mrkdwn("Your Podium digest: \(summary)"), "blocks": Array(blocks.prefix(50)),
            "metadata": ["event_type": "podium_digest", "event_payload": ["idempotency_key": key]],
        ])
    }

    func teamsCard() -> Data {
        var body: [[String: Any]] = [ChatCard.richText("Your Podium digest: \(summary)", bold: true)]
        for program in context.programs {
            body.append(ChatCard.richText(program.title, bold: true))
            for entry in program.entries { body.append(ChatCard.richText("• " + line(entry))) }
        }
        let actions: [[String: Any]] =
            links.map { [["type": "Action.OpenUrl", "title": "Open My tasks", "url": $0.inboxURL]] } ?? []
        return ChatCard.teamsMessage(body: body, actions: actions, key: key)
    }
}
