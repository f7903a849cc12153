import Foundation
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

    init(task: ClaimedTask, context: ReminderContext, recipient: ReminderRecipient) {
        idempotencyKey = Self.key(task, recipient)
        kind = task.kind
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
        writer.add("kind", kind)
        writer.add("label", label)
        writer.add("recipient", recipient)
        writer.add("recipient_name", recipientName)
        writer.add("stage", stage)
        writer.add("stage_title", stageTitle)
        writer.add("title", title)
        writer.add("workflow", workflow)
        return writer.finished()
    }
}

/// Writes one flat JSON object, keys in the order they are added.
struct JSONObjectWriter {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    init() { bytes.reserveCapacity(512) }

    mutating func add(_ key: String, _ value: String) {
        addKey(key)
        appendString(value)
    }

    mutating func add(_ key: String, _ value: Int) {
        addKey(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    func finished() -> Data { Data(bytes + [UInt8(ascii: "}")]) }

    private mutating func addKey(_ key: String) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        appendString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends `text` as a JSON string. Runs of bytes that need no escape are copied whole: the
    /// stage guidance makes up most of a message, and byte-by-byte appends were a tenth of the
    /// worker's CPU.
    private mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            for (index, byte) in utf8.enumerated()
            where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: utf8[runStart..<index])
                appendEscaped(byte)
                runStart = index + 1
            }
            bytes.append(contentsOf: utf8[runStart...])
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
        case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
        case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
        case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
        case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: #"\u00"#.utf8)
            bytes.append(hex[Int(byte >> 4)])
            bytes.append(hex[Int(byte & 0x0f)])
        }
    }
}
