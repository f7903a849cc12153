import Foundation
import LibPQ
import PodiumCore

/// Who a message goes to.
struct Recipient: Sendable {
    let handle: String
    let name: String
    let timezone: String
    let channel: String?
    let workingHours: String
}

/// Everything a reminder or escalation message says.
struct MessageContext: Sendable {
    let task: ClaimedTask
    let item: ItemView
    let recipients: [Recipient]

    /// Loads the item and the recipients; nil when the task is obsolete (item closed or moved on).
    static func load(_ task: ClaimedTask, engine: ItemEngine, pool: PostgresPool) async throws -> MessageContext? {
        let item = try await engine.show(task.itemID)
        guard item.closedAt == nil, item.stage == task.stage, let role = task.recipientRole else { return nil }
        var handles = item.participants.filter { $0.role == role }.map(\.actor)
        if handles.isEmpty {
            handles = try await pool.query("select handle from actors where \(role) = any(roles) order by handle")
                .map { try $0.decode(String.self, "handle") }
        }
        let recipients = try await pool.query(
            """
            select handle, display_name, timezone, channel, working_hours from actors
             where handle = any(\(handles)::text[]) order by handle
            """
        ).map { row in
            Recipient(
                handle: try row.decode(String.self, "handle"), name: try row.decode(String.self, "display_name"),
                timezone: try row.decode(String.self, "timezone"), channel: try row.decode(String?.self, "channel"),
                workingHours: try row.decode(String.self, "working_hours"))
        }
        return MessageContext(task: task, item: item, recipients: recipients)
    }

    /// The JSON message for one recipient. The key is the same on every retry of the message.
    func message(for recipient: Recipient, key: String) throws -> Data {
        let roles = Set(item.participants.filter { $0.actor == recipient.handle }.map(\.role))
        let next = item.possibleTransitions.first { $0.timer == nil && !roles.isDisjoint(with: $0.roles) }
        let command =
            next.map { "podium item fire \(item.id) \($0.name) --as \(recipient.handle)" }
            ?? "podium item show \(item.id)"
        let message = Message(
            idempotencyKey: key, kind: task.kind, label: task.label, itemID: item.id, title: item.title,
            workflow: item.workflow, stage: item.stage, stageTitle: item.stageTitle, recipient: recipient.handle,
            recipientName: recipient.name, dueAt: item.dueAt, guidance: item.guidance, command: command)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(message)
    }

    struct Message: Encodable {
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

        enum CodingKeys: String, CodingKey {
            case kind, label, title, workflow, stage, recipient, guidance, command
            case idempotencyKey = "idempotency_key"
            case itemID = "item_id"
            case stageTitle = "stage_title"
            case recipientName = "recipient_name"
            case dueAt = "due_at"
        }
    }
}
