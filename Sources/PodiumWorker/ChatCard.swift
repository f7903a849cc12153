import Foundation
import PodiumCore

/// A reminder or escalation as a chat platform shows it, in the platform's own format: Slack's
/// Block Kit, Microsoft Teams' Adaptive Card. The title, the stage, the due time on the
/// recipient's clock, the guidance, and a button that opens the signed link (its page acts, not
/// the button). The idempotency key travels in the payload (Slack's `metadata`, the card's
/// `id`) as well as the `X-Podium-Idempotency-Key` of webhooks, so a receiver can drop a resend.
struct ChatCard {
    let message: Message

    init(_ message: Message) {
        self.message = message
    }

    var heading: String {
        (message.kind == "escalation" ? "Overdue: " : "\(message.stageTitle): ") + message.title
    }

    var due: String? {
        message.dueAt.map {
            "Due \(LocalTime(zone: message.recipientZone, now: message.writtenAt).instant($0)), your time"
        }
    }

    var guidance: String { message.guidance.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Block Kit: a header, the guidance, the due time and the command as context, and the button.
    /// Text in mrkdwn has `&`, `<` and `>` escaped, as Slack asks, so people's words stay words.
    func slackBlocks() -> Data {
        var blocks: [[String: Any]] = [
            ["type": "header", "text": ["type": "plain_text", "text": String(heading.prefix(150)), "emoji": true]],
            ["type": "section", "text": ["type": "mrkdwn", "text": Self.mrkdwn(guidance)]],
        ]
        var context = [["type": "mrkdwn", "text": Self.mrkdwn("For \(message.recipientName)")]]
        if let due { context.append(["type": "mrkdwn", "text": Self.mrkdwn(due)]) }
        context.append(["type": "mrkdwn", "text": "`" + Self.mrkdwn(message.command) + "`"])
        blocks.append(["type": "context", "elements": context])
        var buttons: [[String: Any]] = []
        if let link = message.link {
            buttons.append([
                "type": "button", "style": "primary", "url": link, "action_id": "act",
                "text": ["type": "plain_text", "text": "Open it to act"],
            ])
        }
        if let itemURL = message.itemURL {
            buttons.append([
                "type": "button", "url": itemURL, "action_id": "item",
                "text": ["type": "plain_text", "text": "The item"],
            ])
        }
        if !buttons.isEmpty { blocks.append(["type": "actions", "elements": buttons]) }
        return Self.json([
            "text": heading + (due.map { " (\($0))" } ?? ""), "blocks": blocks,
            "metadata": [
                "event_type": "podium_\(message.kind)", "event_payload": ["idempotency_key": message.idempotencyKey],
            ],
        ])
    }

    /// An incoming-webhook message carrying one Adaptive Card (schema 1.4): the heading, the
    /// guidance, the facts and an `Action.OpenUrl` button.
    func teamsAdaptiveCard() -> Data {
        var facts: [[String: String]] = [["title": "For", "value": message.recipientName]]
        if let due { facts.append(["title": "Due", "value": String(due.dropFirst(4))]) }
        facts.append(["title": "At a terminal", "value": message.command])
        var actions: [[String: Any]] = []
        if let link = message.link {
            actions.append(["type": "Action.OpenUrl", "title": "Open it to act", "url": link])
        }
        if let itemURL = message.itemURL {
            actions.append(["type": "Action.OpenUrl", "title": "The item", "url": itemURL])
        }
        let card: [String: Any] = [
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
            "id": message.idempotencyKey,
            "body": [
                ["type": "TextBlock", "text": heading, "weight": "Bolder", "size": "Medium", "wrap": true],
                ["type": "TextBlock", "text": guidance, "wrap": true],
                ["type": "FactSet", "facts": facts],
            ],
            "actions": actions,
        ]
        return Self.json([
            "type": "message",
            "attachments": [
                ["contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": NSNull(), "content": card]
            ],
        ])
    }

    /// Slack's three escapes for mrkdwn text.
    static func mrkdwn(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func json(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
