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
    let dueAt: Date?
    let guidance: String
    let command: String
    /// The signed link that fires the recipient's next transition (after a confirmation page).
    let link: String?
    /// The item's page in the inbox.
    let itemURL: String?

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
        dueAt = context.dueAt
        guidance = context.guidance
        command = recipient.nextCommand
        link = recipient.nextTransition.flatMap { transition in
            links?.actURL(
                actor: recipient.handle, item: context.itemID, visit: context.visit, revision: context.revision,
                transition: transition, now: now)
        }
        itemURL = links?.itemURL(context.itemID)
    }

    /// The stable key of the message of `task` to `recipient`.
    static func key(_ task: ClaimedTask, _ recipient: ReminderRecipient) -> String {
        "\(task.idempotencyKey):\(recipient.handle)"
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
        writer.add("recipient", recipient)
        writer.add("recipient_name", recipientName)
        writer.add("stage", stage)
        writer.add("stage_title", stageTitle)
        writer.add("title", title)
        writer.add("workflow", workflow)
        return writer.finished()
    }
}
