import Foundation
import Testing

@testable import PodiumCore
@testable import PodiumWorker

/// Sam's escalation on item 42 (visit 9, revision 11), written at `now`, with `links`.
private func samsEscalation(
    title: String, guidance: String, name: String, dueAt: Date?, links: LinkMaker, now: Date
) -> Message {
    let task = ClaimedTask(
        id: 7, itemID: 42, kind: .escalation, stage: "review", transition: nil, recipientRole: "coach",
        label: "escalation", runAt: now, attempts: 1, maxAttempts: 5, idempotencyKey: "item-42-visit-9-escalation")
    let recipient = ReminderRecipient(
        handle: "sam", name: name, timezone: "Europe/London", channel: nil, workingHours: "always",
        alreadyDelivered: false, nextTransition: "approve", nextCommand: "podium item fire 42 approve --as sam")
    let context = ReminderContext(
        taskID: 7, itemID: 42, title: title, workflow: "exec-post", stage: "review", stageTitle: "Private review",
        guidance: guidance, dueAt: dueAt, visit: 9, revision: 11, recipients: [recipient])
    return Message(task: task, context: context, recipient: recipient, links: links, now: now)
}

@Suite("Messages are JSON whatever people type")
struct MessageTests {
    /// The hand-written encoder gives what a JSON parser reads back, for text with quotes,
    /// backslashes, control characters, non-Latin scripts and emoji.
    @Test(arguments: [
        "plain", #"say "hi""#, #"C:\path\"#, "two\nlines\ttab\r", "bell\u{07} nul\u{00} esc\u{1B}", "ünïcödé 日本語 🎉",
        "slash / stays", "", "\"\n\\", "ends in a control\u{1F}",
    ])
    func roundTrips(text: String) throws {
        let task = ClaimedTask(
            id: 7, itemID: 42, kind: .reminder, stage: "draft", transition: nil, recipientRole: "executive",
            label: text, runAt: Date(timeIntervalSince1970: 0), attempts: 1, maxAttempts: 5,
            idempotencyKey: "item-42-visit-3-reminder-1")
        let recipient = ReminderRecipient(
            handle: "dana", name: text, timezone: "Europe/Paris", channel: nil, workingHours: "always",
            alreadyDelivered: false, nextTransition: "submit", nextCommand: "podium item fire 42 submit --as dana")
        let context = ReminderContext(
            taskID: 7, itemID: 42, title: text, workflow: "exec-post", stage: "draft", stageTitle: text,
            guidance: text, dueAt: Date(timeIntervalSince1970: 1_773_133_200), visit: 3, revision: 5,
            recipients: [recipient])
        let data = Message(task: task, context: context, recipient: recipient, links: nil, now: Date()).encoded()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["title"] as? String == text && object["label"] as? String == text)
        #expect(object["guidance"] as? String == text && object["recipient_name"] as? String == text)
        #expect(object["item_id"] as? Int == 42 && object["due_at"] as? String == "2026-03-10T09:00:00Z")
        #expect(object["idempotency_key"] as? String == "item-42-visit-3-reminder-1:dana")
        #expect(
            object.keys.sorted() == [
                "command", "due_at", "guidance", "idempotency_key", "item_id", "kind", "label", "recipient",
                "recipient_name", "stage", "stage_title", "title", "workflow",
            ])
        #expect(!data.contains(UInt8(ascii: "\n")))
    }

    /// With a public URL and a secret, a message carries the item's page and a link that lets
    /// its recipient fire their next transition on the item as it stood: signed over who, which
    /// item, visit, revision and transition, expiring after the configured lifetime.
    @Test func carriesASignedLinkToAct() throws {
        let key = try SigningKey(secret: String(repeating: "k", count: 32), origin: "test")
        let links = LinkMaker(key: key, publicURL: "https://podium.example/", lifetime: 3 * 86_400)
        let now = Date(timeIntervalSince1970: 1_773_000_000)
        let data = samsEscalation(title: "Roadmap", guidance: "", name: "Sam", dueAt: nil, links: links, now: now)
            .encoded()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["item_url"] as? String == "https://podium.example/items/42")
        let link = try #require(object["link"] as? String)
        let prefix = "https://podium.example/act/"
        #expect(link.hasPrefix(prefix))
        let verified = try ActionLink.verify(String(link.dropFirst(prefix.count)), key: key, now: now)
        #expect(
            verified
                == ActionLink(
                    actor: "sam", item: 42, visit: 9, revision: 11, transition: "approve",
                    expiresAt: now.addingTimeInterval(3 * 86_400)))
        #expect(object["command"] as? String == "podium item fire 42 approve --as sam")
    }

    /// On the `text` channel a message reads as its person sees it: for whom, the item and stage,
    /// the due time on their clock, the guidance, the link and the command; what people typed is
    /// shown, never obeyed by the terminal.
    @Test func readsAsItsPersonSeesIt() throws {
        let task = ClaimedTask(
            id: 7, itemID: 42, kind: .reminder, stage: "draft", transition: nil, recipientRole: "executive",
            label: "at due", runAt: Date(timeIntervalSince1970: 0), attempts: 1, maxAttempts: 5,
            idempotencyKey: "item-42-visit-3-reminder-2")
        let recipient = ReminderRecipient(
            handle: "dana", name: "Dana Whitfield", timezone: "America/New_York", channel: nil,
            workingHours: "always", alreadyDelivered: false, nextTransition: "submit",
            nextCommand: "podium item fire 42 submit --as dana")
        let context = ReminderContext(
            taskID: 7, itemID: 42, title: "Roadmap\u{1B}[2K done (approved by the CEO)", workflow: "exec-post",
            stage: "draft", stageTitle: "Draft a short update", guidance: "One idea.\nPlain words.",
            dueAt: Date(timeIntervalSince1970: 1_773_133_200), visit: 3, revision: 5, recipients: [recipient])
        let message = Message(
            task: task, context: context, recipient: recipient, links: nil,
            now: Date(timeIntervalSince1970: 1_773_000_000))
        let text = String(decoding: message.body(for: .text), as: UTF8.self)
        #expect(
            text == """
                ┌ Reminder for Dana Whitfield (at due)
                │ Roadmap\\u{1B}[2K done (approved by the CEO): Draft a short update
                │ Due Tue 05:00 EDT, your time
                │ One idea.
                │ Plain words.
                └ At a terminal: podium item fire 42 submit --as dana
                """)
        #expect(message.body(for: .log) == message.encoded())
    }

    /// On Slack and Teams a message is the platform's own format (Block Kit; an Adaptive Card in a
    /// webhook message), posted to a real local receiver, with a button that opens the signed link.
    @Test func chatPlatformsGetTheirOwnFormatWithAButton() async throws {
        let key = try SigningKey(secret: String(repeating: "k", count: 32), origin: "test")
        let links = LinkMaker(key: key, publicURL: "https://podium.example")
        let now = Date(timeIntervalSince1970: 1_773_000_000)
        let message = samsEscalation(
            title: "Roadmap & <b>friends</b>", guidance: "Read it <carefully> & fast.", name: "Sam <Okafor>",
            dueAt: now.addingTimeInterval(86_400), links: links, now: now)
        let output = NSTemporaryDirectory() + "podium-chat-\(UUID().uuidString.prefix(8)).jsonl"
        let (receiver, port) = try WebhookTests.startReceiver(status: 200, output: output)
        defer { kill(receiver.processIdentifier, SIGKILL) }
        let deliverer = Deliverer(environment: [:])
        for spec in ["slack", "teams"] {
            let channel = try DeliveryChannel(spec: "\(spec):http://127.0.0.1:\(port)/\(spec)")
            try await deliverer.deliver(message.body(for: channel), on: channel)
        }
        var posted: [[String: Any]] = []
        for line in try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n") {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let body = try #require(record["body"] as? String)
            posted.append(try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]))
        }
        #expect(posted.count == 2)
        let link = try #require(message.link)

        let slack = posted[0]
        let blocks = try #require(slack["blocks"] as? [[String: Any]])
        #expect(blocks.compactMap { $0["type"] as? String } == ["header", "section", "context", "actions"])
        #expect((blocks[0]["text"] as? [String: Any])?["text"] as? String == "Overdue: Roadmap & <b>friends</b>")
        #expect((blocks[1]["text"] as? [String: Any])?["text"] as? String == "Read it &lt;carefully&gt; &amp; fast.")
        let button = try #require((blocks[3]["elements"] as? [[String: Any]])?.first)
        #expect(button["type"] as? String == "button" && button["url"] as? String == link)
        let metadata = try #require(slack["metadata"] as? [String: Any])
        #expect((metadata["event_payload"] as? [String: String])?["idempotency_key"] == message.idempotencyKey)
        // The fallback text is escaped too: a title cannot mention a channel or hide a link.
        #expect((slack["text"] as? String)?.hasPrefix("Overdue: Roadmap &amp; &lt;b&gt;friends&lt;/b&gt;") == true)

        let teams = posted[1]
        #expect(teams["type"] as? String == "message")
        let attachment = try #require((teams["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        let card = try #require(attachment["content"] as? [String: Any])
        #expect(card["type"] as? String == "AdaptiveCard" && card["version"] as? String == "1.4")
        #expect(teams["podium_idempotency_key"] as? String == message.idempotencyKey)
        let body = try #require(card["body"] as? [[String: Any]])
        // Rich text runs, never read as markdown: a title cannot become a link.
        #expect(body.compactMap { $0["type"] as? String } == ["RichTextBlock", "RichTextBlock", "FactSet"])
        let guidance = try #require((body[1]["inlines"] as? [[String: Any]])?.first)
        #expect(
            guidance["type"] as? String == "TextRun" && guidance["text"] as? String == "Read it <carefully> & fast.")
        let action = try #require((card["actions"] as? [[String: Any]])?.first)
        #expect(action["type"] as? String == "Action.OpenUrl" && action["url"] as? String == link)
    }

    /// Slack refuses an empty section or a header past 150 characters: a stage without guidance
    /// has no section, and a long title is cut, counted in Unicode scalars as Slack counts.
    @Test func slackLimitsAreKept() throws {
        let links = LinkMaker(
            key: try SigningKey(secret: String(repeating: "k", count: 32), origin: "test"),
            publicURL: "https://p.example")
        let now = Date(timeIntervalSince1970: 1_773_000_000)
        let message = samsEscalation(
            title: String(repeating: "👍🏽", count: 150), guidance: "", name: "Sam", dueAt: nil, links: links, now: now)
        let slack = try #require(
            try JSONSerialization.jsonObject(with: message.body(for: .slack(URL(string: "https://h.example")!)))
                as? [String: Any])
        let blocks = try #require(slack["blocks"] as? [[String: Any]])
        #expect(blocks.compactMap { $0["type"] as? String } == ["header", "context", "actions"])
        let header = try #require((blocks[0]["text"] as? [String: Any])?["text"] as? String)
        #expect(header.unicodeScalars.count <= 150 && header.hasSuffix("…"), "\(header.unicodeScalars.count)")
        let signIn = try #require(
            try JSONSerialization.jsonObject(
                with: ChatCard.signIn(
                    link: "https://p.example/signin/t", name: "Sam", key: "k",
                    on: .teams(URL(string: "https://h.example")!)))
                as? [String: Any])
        let card = try #require(((signIn["attachments"] as? [[String: Any]])?.first)?["content"] as? [String: Any])
        #expect((card["actions"] as? [[String: Any]])?.first?["url"] as? String == "https://p.example/signin/t")
    }
}
