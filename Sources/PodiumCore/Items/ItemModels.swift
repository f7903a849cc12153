public import Foundation
public import WorkflowEngine

/// An item as `podium item show --json` prints it. Field names are stable.
public struct ItemView: Sendable, Codable {
    public let id: Int
    public let workflow: String
    public let version: Int
    public let title: String
    public let stage: String
    public let stageTitle: String
    public let revision: Int
    public let data: [String: String]
    public let participants: [Participant]
    public let assignee: String?
    /// The people the stage waits on: the item's holders of the assignee role, or else the
    /// role's global holders (whom reminders then reach).
    public let nextActors: [String]
    public let dueAt: Date?
    public let stageEnteredAt: Date
    public let createdAt: Date
    public let createdBy: String
    public let closedAt: Date?
    /// Set when an operator cancelled the item rather than it reaching a terminal stage.
    public let cancellation: Cancellation?
    public let guidance: String
    public let approvals: [ApprovalView]
    public let openTasks: [TaskView]
    public let possibleTransitions: [PossibleTransition]
    public let comments: [CommentView]

    enum CodingKeys: String, CodingKey {
        case id, workflow, version, title, stage, revision, data, participants, assignee, guidance, approvals, comments
        case cancellation
        case stageTitle = "stage_title"
        case nextActors = "next_actors"
        case dueAt = "due_at"
        case stageEnteredAt = "stage_entered_at"
        case createdAt = "created_at"
        case createdBy = "created_by"
        case closedAt = "closed_at"
        case openTasks = "open_tasks"
        case possibleTransitions = "possible_transitions"
    }
}

/// Approvals so far for one transition.
public struct ApprovalView: Sendable, Codable {
    public let transition: String
    public let approvers: [String]
    public let needed: Int
}

/// A reminder, escalation or timer waiting to run.
public struct TaskView: Sendable, Codable {
    public let id: Int
    public let kind: String
    public let label: String
    public let runAt: Date
    public let status: String
    public let recipientRole: String?
    public let transition: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, label, status, transition
        case runAt = "run_at"
        case recipientRole = "recipient_role"
    }
}

/// A transition that may leave the current stage, and who may fire it.
public struct PossibleTransition: Sendable, Codable {
    public let name: String
    public let to: String
    public let roles: [String]
    /// The people who may fire it now (participants and global holders of its roles), as the
    /// decider judges them: nobody who would review their own work or approve twice.
    public let participants: [String]
    public let requires: [String]
    public let timer: String?
}

/// A comment on an item.
public struct CommentView: Sendable, Codable {
    public let actor: String
    public let body: String
    public let at: Date
}

/// One entry of an item's history. Field names are stable.
public struct HistoryEntry: Sendable, Codable {
    public let id: Int
    public let kind: String
    public let transition: String?
    public let fromStage: String?
    public let toStage: String
    public let actor: String
    /// The person away whom ``actor`` stood in for ("sam for dana"), or nil.
    public let onBehalfOf: String?
    public let role: String
    public let comment: String?
    public let dataChange: [String: String]?
    public let at: Date
    /// The door it came through (``Door``: `cli`, `worker`, `api`), or nil for entries written
    /// before doors were recorded.
    public let via: String?
    /// How long the item stayed in `to_stage` (until the next entry, or until now if it is still there).
    public let secondsInStage: Int

    enum CodingKeys: String, CodingKey {
        case id, kind, transition, actor, role, comment, at, via
        case fromStage = "from_stage"
        case toStage = "to_stage"
        case onBehalfOf = "on_behalf_of"
        case dataChange = "data_change"
        case secondsInStage = "seconds_in_stage"
    }
}

/// What `fire` did. Field names are stable.
public struct FireResult: Sendable, Codable {
    public enum Outcome: String, Sendable, Codable {
        /// The item moved.
        case moved
        /// An approval was recorded; the transition waits for more.
        case approvalRecorded = "approval_recorded"
    }

    public let outcome: Outcome
    /// True when the idempotency key had been used: this is the first result, replayed.
    public let replayed: Bool
    public let itemID: Int
    /// The item's stage and revision after the fire.
    public let stage: String
    public let revision: Int
    public let isClosed: Bool
    /// The history entry of the move, when the item moved.
    public let entry: HistoryEntry?
    /// Approvals so far, when the fire was one approval of several needed.
    public let approval: ApprovalView?

    enum CodingKeys: String, CodingKey {
        case outcome, replayed, stage, revision, entry, approval
        case itemID = "item_id"
        case isClosed = "closed"
    }
}

/// One line of `podium item list`.
public struct ItemSummary: Sendable, Codable {
    public let id: Int
    public let workflow: String
    public let version: Int
    public let title: String
    public let stage: String
    public let revision: Int
    public let dueAt: Date?
    public let closedAt: Date?
    /// True when an operator cancelled the item (it is closed without finishing).
    public let cancelled: Bool
    public let assignees: [String]

    enum CodingKeys: String, CodingKey {
        case id, workflow, version, title, stage, revision, assignees, cancelled
        case dueAt = "due_at"
        case closedAt = "closed_at"
    }
}

/// Who cancelled an item, when and why.
public struct Cancellation: Sendable, Codable {
    public let actor: String
    public let reason: String
    public let at: Date
}
