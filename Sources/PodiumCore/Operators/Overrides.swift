import Foundation
import LibPQ
import WorkflowEngine
import WorkflowLanguage

/// Operators' fixes. Each bypasses the workflow's rules on purpose, is allowed only to actors
/// holding the global `admin` role, and is recorded in history with the operator and a reason.
extension ItemEngine {
    /// The global role that may override the workflow.
    public static let adminRole = ActorIdentity.adminRole

    /// Moves an item to any stage of its workflow version, bypassing roles, requirements and
    /// approvals. Moving a closed item to a working stage reopens it.
    public func move(item id: Int, to stage: String, actor: String, reason: String) async throws -> HistoryEntry {
        let reason = try InputLimits.text(reason, what: "reason", limit: InputLimits.commentLength)
        let now = time.now()
        let entryID = try await pool.transaction(retry: .resilient) { db in
            let locked = try await lockItem(id, on: db)
            try await requireAdmin(actor, on: db)
            let definition = try await definitions.definition(locked.workflow, version: locked.version, on: db)
            guard let target = definition.stage(stage) else {
                throw PodiumError(
                    .refused, "\(locked.workflow)@\(locked.version) has no stage \(stage)",
                    hint: "its stages: \(definition.stagesInFlowOrder.map(\.name).joined(separator: ", "))")
            }
            let move = Move(
                transition: "", from: locked.stage, to: target.name, role: Self.adminRole, actor: actor,
                comment: reason,
                dataChanges: [:], data: locked.data, closesItem: target.terminal)
            let statement = try moveStatement(
                move, kind: .override, of: locked, definition: definition,
                calendar: try await definitions.calendar(for: definition, entering: target.name, on: db), key: nil,
                at: now)
            return try Self.applied(try await db.query(statement)).entry
        }
        return try await entry(entryID, of: id)
    }

    /// Closes an item where it stands; its open tasks are retired. A move reopens it.
    public func cancel(item id: Int, actor: String, reason: String) async throws -> HistoryEntry {
        let reason = try InputLimits.text(reason, what: "reason", limit: InputLimits.commentLength)
        let now = time.now()
        let entryID = try await pool.transaction(retry: .resilient) { db in
            let locked = try await lockItem(id, on: db)
            try await requireAdmin(actor, on: db)
            guard !locked.isClosed else {
                throw PodiumError(.refused, "item \(id) is already closed", reason: "closed")
            }
            let entry = try await db.query(
                """
                with entry as (
                    insert into history (item_id, kind, from_stage, to_stage, actor, role, comment, via, at)
                    values (\(id), \(HistoryKind.cancel.rawValue), \(locked.stage), \(locked.stage), \(actor), \(Self.adminRole), \(reason),
                            \(door.rawValue), \(now))
                    returning id
                ), closed as (
                    update items set closed_at = \(now), revision = revision + 1, visit_id = (select id from entry),
                                     due_at = null, last_activity_at = \(now), updated_at = \(now)
                     where id = \(id)
                )\(Self.retireOpenTasks(of: id, visit: locked.visit, at: now, when: "true"))
                select id from entry
                """)
            let entryID = try entry.single().decode(Int.self, "id")
            return entryID
        }
        return try await entry(entryID, of: id)
    }

    func requireAdmin(_ handle: String, on db: PostgresConnection) async throws {
        let actor = try await ActorStore.find(handle, on: db)
        guard actor.roles.contains(Self.adminRole) else {
            throw PodiumError(
                .refused, "\(handle) is not an admin; only admins may override a workflow",
                hint: "an operator needs the global admin role", reason: "not_admin",
                details: ["handle": handle])
        }
    }

    /// History entry `entryID` of `item`, as ``history(_:)`` shows it.
    func entry(_ entryID: Int, of item: Int) async throws -> HistoryEntry {
        guard let entry = try await history(item).first(where: { $0.id == entryID }) else {
            throw PodiumError(.notFound, "history entry \(entryID) of item \(item) is missing")
        }
        return entry
    }
}

/// What an operator's fix would change, worked out by the same checks as the fix itself and
/// changing nothing: the console shows it before the operator confirms.
public struct OverridePreview: Sendable, Codable {
    public let item: Int
    public let title: String
    /// The stage the item is in, and the one it would be in.
    public let from: String
    public let to: String
    /// Open tasks of the current stage that would be retired (reminders, escalations, timers).
    public let retiredTasks: Int
    /// The item would be closed (a cancel, or a move to a terminal stage).
    public let closes: Bool
    /// A closed item would open again.
    public let reopens: Bool
}

extension ItemEngine {
    /// What ``move(item:to:actor:reason:)`` would do, after the same checks (admin, stage, reason).
    public func previewMove(item id: Int, to stage: String, actor: String, reason: String) async throws
        -> OverridePreview
    {
        try await preview(item: id, actor: actor, reason: reason) { locked, definition in
            guard let target = definition.stage(stage) else {
                throw PodiumError(
                    .refused, "\(locked.workflow)@\(locked.version) has no stage \(stage)",
                    hint: "its stages: \(definition.stagesInFlowOrder.map(\.name).joined(separator: ", "))")
            }
            return (target.name, target.terminal, locked.isClosed && !target.terminal)
        }
    }

    /// What ``cancel(item:actor:reason:)`` would do, after the same checks.
    public func previewCancel(item id: Int, actor: String, reason: String) async throws -> OverridePreview {
        try await preview(item: id, actor: actor, reason: reason) { locked, _ in
            guard !locked.isClosed else {
                throw PodiumError(.refused, "item \(id) is already closed", reason: "closed")
            }
            return (locked.stage, true, false)
        }
    }

    private func preview(
        item id: Int, actor: String, reason: String,
        outcome: @Sendable (ItemRow, WorkflowDefinition) throws -> (to: String, closes: Bool, reopens: Bool)
    ) async throws -> OverridePreview {
        _ = try InputLimits.text(reason, what: "reason", limit: InputLimits.commentLength)
        return try await pool.withConnection { db in
            let rows = try await db.query(
                "select \(ItemRow.columns), i.title from items i where i.id = \(id)")
            guard let row = rows.first else { throw Self.noSuchItem(id) }
            let item = try ItemRow(row)
            try await requireAdmin(actor, on: db)
            let definition = try await definitions.definition(item.workflow, version: item.version, on: db)
            let (to, closes, reopens) = try outcome(item, definition)
            let open = try await db.query(
                """
                select count(*) as open from tasks
                 where item_id = \(id) and visit_id = \(item.visit) and status in \(TaskStatus.stillToRunSQL)
                """
            ).single().decode(Int.self, "open")
            return OverridePreview(
                item: id, title: try row.decode(String.self, "title"), from: item.stage, to: to,
                retiredTasks: item.isClosed ? 0 : open, closes: closes, reopens: reopens)
        }
    }
}
