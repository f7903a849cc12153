import Foundation
import LibPQ
import PodiumCore
import WorkflowEngine

/// The JSON document a reminder or escalation delivers to one person. The idempotency key is the
/// same on every retry, so a receiver can drop duplicates.
struct Message {
    let idempotencyKey: String
    let kind: String
    let label: String
    let itemID: Int
    let title: String
    let workflow: String
    let stage: String
    let stageTitle: String
    let recipient: String
    let recipientName: String
    /// The recipient's time zone, for the text a person reads.
    let recipientZone: String
    let dueAt: Date?
    let guidance: String
    let command: String
    /// The signed link that fires the recipient's next transition (after a confirmation page).
    let link: String?
    /// The item's page in the inbox.
    let itemURL: String?
    /// Where the recipient chooses how Podium reaches them.
    let preferencesURL: String?
    /// When the message was written: what its text's "Thu 14:00" is near to.
    let writtenAt: Date
    /// The person away the recipient stands in for: handle, name, and when they are back.
    let standsInFor: (handle: String, name: String, backAt: Date)?

    init(task: ClaimedTask, context: ReminderContext, recipient: ReminderRecipient, links: LinkMaker?, now: Date) {
        idempotencyKey = Self.key(task, recipient)
        kind = task.kind.rawValue
        label = task.label
        itemID = context.itemID
        title = context.title
        workflow = context.workflow
        stage = context.stage
        stageTitle = context.stageTitle
        self.recipient = recipient.handle
        recipientName = recipient.name
        recipientZone = recipient.timezone
        dueAt = context.dueAt
        guidance = context.guidance
        command = recipient.nextCommand
        link = recipient.nextTransition.flatMap { transition in
            links?.actURL(
                actor: recipient.handle, item: context.itemID, visit: context.visit, revision: context.revision,
                transition: transition, now: now)
        }
        itemURL = links?.itemURL(context.itemID)
        preferencesURL = links?.preferencesURL
        writtenAt = now
        standsInFor = recipient.standsInFor
    }

    /// "You stand in for Dana Kim, away until Mon 4 Jan 09:00.", on the recipient's clock.
    var standingIn: String? {
        standsInFor.map {
            "You stand in for \($0.name), away until \(LocalTime(zone: recipientZone, now: writtenAt).instant($0.backAt))."
        }
    }

    /// The stable key of the message of `task` to `recipient`.
    static func key(_ task: ClaimedTask, _ recipient: ReminderRecipient) -> String {
        "\(task.idempotencyKey):\(recipient.handle)"
    }

    /// What `channel` carries: the text a person reads on `text`, an email (from `mailFrom`) on
    /// `email`, JSON on every other channel.
    func body(for channel: DeliveryChannel, mailFrom: String = WorkerOptions.defaultMailFrom) -> Data {
        switch channel {
        case .text: Data(rendered().utf8)
        case .email(let address): MailMessage(self, to: address, from: mailFrom).rendered()
        case .slack: ChatCard(self).slackBlocks()
        case .teams: ChatCard(self).teamsAdaptiveCard()
        default: encoded()
        }
    }

    /// The message as its person reads it: who it is for and why, the item, the due time on
    /// their own clock, the stage's guidance, and how to act (the link, and the command).
    func rendered() -> String {
        let time = LocalTime(zone: recipientZone, now: writtenAt)
        func shown(_ text: String) -> String { VisibleText.escaping(text, keepingNewlines: false) }
        let what = kind == "escalation" ? "Escalation" : "Reminder"
        var lines = [
            "┌ \(what) for \(shown(recipientName)) (\(shown(label)))", "│ \(shown(title)): \(shown(stageTitle))",
        ]
        if let standingIn { lines.append("│ \(shown(standingIn))") }
        if let dueAt { lines.append("│ Due \(time.instant(dueAt)), your time") }
        for paragraph in guidance.split(separator: "\n") where !paragraph.isEmpty {
            lines.append("│ \(shown(String(paragraph)))")
        }
        if let link { lines.append("│ Act: \(link)") }
        if let itemURL { lines.append("│ Open: \(itemURL)") }
        lines.append("└ At a terminal: \(shown(command))")
        return lines.joined(separator: "\n")
    }

    /// One line of JSON, keys sorted, as `JSONEncoder` with `.sortedKeys` would write it, but
    /// written directly: encoding was the worker's largest cost when draining a backlog.
    func encoded() -> Data {
        var writer = JSONObjectWriter()
        writer.add("command", command)
        if let dueAt { writer.add("due_at", DataDate.format(dueAt)) }
        writer.add("guidance", guidance)
        writer.add("idempotency_key", idempotencyKey)
        writer.add("item_id", itemID)
        if let itemURL { writer.add("item_url", itemURL) }
        writer.add("kind", kind)
        writer.add("label", label)
        if let link { writer.add("link", link) }
        if let standsInFor { writer.add("on_behalf_of", standsInFor.handle) }
        writer.add("recipient", recipient)
        writer.add("recipient_name", recipientName)
        writer.add("stage", stage)
        writer.add("stage_title", stageTitle)
        writer.add("title", title)
        writer.add("workflow", workflow)
        return writer.finished()
    }
}
