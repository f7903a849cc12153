public import Foundation
public import PodiumCore

/// A reminder or escalation as a chat platform shows it, in the platform's own format: Slack's
/// Block Kit, Microsoft Teams' Adaptive Card. The title, the stage, the due time on the
/// recipient's clock, the guidance, and a button that opens the signed link (its page acts, not
/// the button). The idempotency key travels in the payload (Slack's `metadata`, the card's
/// `id`) as well as the `X-Podium-Idempotency-Key` of webhooks, so a receiver can drop a resend.
public struct ChatCard {
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
    /// Every text people typed is escaped for mrkdwn (`&`, `<`, `>`, as Slack asks) so it cannot
    /// mention a channel or disguise a link, and kept within Slack's limits (a header 150
    /// characters, a section 3,000); a stage without guidance has no section.
    func slackBlocks() -> Data {
        var blocks: [[String: Any]] = [
            ["type": "header", "text": ["type": "plain_text", "text": Self.cut(heading, to: 150), "emoji": true]]
        ]
        if !guidance.isEmpty {
            blocks.append([
                "type": "section", "text": ["type": "mrkdwn", "text": Self.cut(Self.mrkdwn(guidance), to: 3000)],
            ])
        }
        let forWhom = "For \(message.recipientName)" + (message.standingIn.map { ". \($0)" } ?? "")
        var context = [["type": "mrkdwn", "text": Self.cut(Self.mrkdwn(forWhom), to: 3000)]]
        if let due { context.append(["type": "mrkdwn", "text": Self.mrkdwn(due)]) }
        context.append(["type": "mrkdwn", "text": Self.cut("`" + Self.mrkdwn(message.command) + "`", to: 3000)])
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
            "text": Self.cut(Self.mrkdwn(heading + (due.map { " (\($0))" } ?? "")), to: 3000), "blocks": blocks,
            "metadata": [
                "event_type": "podium_\(message.kind)", "event_payload": ["idempotency_key": message.idempotencyKey],
            ],
        ])
    }

    /// An incoming-webhook message carrying one Adaptive Card (schema 1.4): the heading and the
    /// guidance as rich text runs (never read as markdown, so a title cannot become a link), the
    /// facts, and an `Action.OpenUrl` button. The idempotency key rides beside the card.
    func teamsAdaptiveCard() -> Data {
        var facts: [[String: String]] = [["title": "For", "value": Self.plainMarkdown(message.recipientName)]]
        if let standsInFor = message.standsInFor {
            facts.append(["title": "Standing in for", "value": Self.plainMarkdown(standsInFor.name)])
        }
        if let due { facts.append(["title": "Due", "value": String(due.dropFirst(4))]) }
        facts.append(["title": "At a terminal", "value": Self.plainMarkdown(message.command)])
        var actions: [[String: Any]] = []
        if let link = message.link {
            actions.append(["type": "Action.OpenUrl", "title": "Open it to act", "url": link])
        }
        if let itemURL = message.itemURL {
            actions.append(["type": "Action.OpenUrl", "title": "The item", "url": itemURL])
        }
        var body: [[String: Any]] = [Self.richText(heading, bold: true)]
        if !guidance.isEmpty { body.append(Self.richText(guidance)) }
        body.append(["type": "FactSet", "facts": facts])
        return Self.teamsMessage(body: body, actions: actions, key: message.idempotencyKey)
    }

    /// A sign-in link on a chat channel: the platform's own format, with one button.
    public static func signIn(link: String, name: String, key: String, on channel: DeliveryChannel) -> Data {
        let words = "\(name): open the button's page within 15 minutes to sign in to Podium; it works once."
        switch channel {
        case .teams:
            return teamsMessage(
                body: [richText(words)], actions: [["type": "Action.OpenUrl", "title": "Sign in", "url": link]],
                key: key)
        default:
            return json([
                "text": mrkdwn(words),
                "blocks": [
                    ["type": "section", "text": ["type": "mrkdwn", "text": cut(mrkdwn(words), to: 3000)]],
                    [
                        "type": "actions",
                        "elements": [
                            [
                                "type": "button", "style": "primary", "url": link, "action_id": "sign_in",
                                "text": ["type": "plain_text", "text": "Sign in"],
                            ]
                        ],
                    ],
                ],
                "metadata": ["event_type": "podium_sign_in", "event_payload": ["idempotency_key": key]],
            ])
        }
    }

    /// Text as one rich text run: shown as typed, never read as markdown.
    static func richText(_ text: String, bold: Bool = false) -> [String: Any] {
        var run: [String: Any] = ["type": "TextRun", "text": text]
        if bold {
            run["weight"] = "Bolder"
            run["size"] = "Medium"
        }
        return ["type": "RichTextBlock", "inlines": [run]]
    }

    /// A Teams incoming-webhook message carrying one Adaptive Card (1.4) of `body` and `actions`,
    /// with the idempotency key beside the card.
    static func teamsMessage(body: [[String: Any]], actions: [[String: Any]], key: String) -> Data {
        let card: [String: Any] = [
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
            "body": body, "actions": actions,
        ]
        return json([
            "type": "message", "podium_idempotency_key": key,
            "attachments": [
                ["contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": NSNull(), "content": card]
            ],
        ])
    }

    /// Markdown a FactSet value would act on (links, emphasis, headings), shown as typed.
    static func plainMarkdown(_ text: String) -> String {
        var result = ""
        for character in text {
            if "\\[]()*_#`~>".contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }

    /// `text` in at most `limit` Unicode scalars (what chat platforms count), with "…" when cut.
    static func cut(_ text: String, to limit: Int) -> String {
        guard text.unicodeScalars.count > limit else { return text }
        var result = ""
        for character in text {
            if result.unicodeScalars.count + character.unicodeScalars.count > limit - 1 { break }
            result.append(character)
        }
        return result + "…"
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
