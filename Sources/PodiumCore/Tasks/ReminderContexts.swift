public import Foundation
public import LibPQ
internal import WorkflowEngine
internal import WorkflowLanguage

/// What a reminder or escalation message needs: the item as it stands and who should hear.
public struct ReminderContext: Sendable {
    public let taskID: Int
    public let itemID: Int
    public let title: String
    public let workflow: String
    public let stage: String
    public let stageTitle: String
    /// The stage's guidance from the workflow file.
    public let guidance: String
    public let dueAt: Date?
    /// The history entry that entered the stage, and the item's revision: what a link to act names.
    public let visit: Int
    public let revision: Int
    /// The participants holding the task's role, or the global holders when no participant does.
    public let recipients: [ReminderRecipient]
}

/// One person a reminder or escalation goes to.
public struct ReminderRecipient: Sendable {
    public let handle: String
    public let name: String
    public let timezone: String
    /// Their own channel spec, if they have one.
    public let channel: String?
    public let workingHours: String
    /// True when an earlier attempt of this task already reached them.
    public let alreadyDelivered: Bool
    /// The transition that moves the item on for them (the way forward first), or nil.
    public let nextTransition: String?
    /// The command that moves the item on for them, or `podium item show ID`.
    public let nextCommand: String
}

extension ItemEngine {
    /// The contexts of the reminder and escalation tasks `taskIDs`, read for the whole batch in
    /// one query. Tasks that are obsolete (their item closed or left the task's stage) are absent.
    ///
    /// A recipient is ``ReminderRecipient/alreadyDelivered`` when a delivery to them is recorded
    /// for the task. That is looked up only for the tasks in `reached`, those that may have
    /// reached someone already (a retry, or a round that reached some of its recipients), so a
    /// first attempt, the common case, never touches the deliveries table.
    ///
    /// Each task's recipients are named first (its item's holders of the role, or else the role's
    /// global holders) and then looked up by handle, so the cost does not grow with the number of
    /// actors: the earlier form, one join condition over every actor, took 240 ms for 128 tasks
    /// with 2,000 actors, against 1 ms now (BENCHMARKS.md).
    public func reminderContexts(taskIDs: [Int], reached: [Int]) async throws -> [Int: ReminderContext] {
        guard !taskIDs.isEmpty else { return [:] }
        return try await pool.withConnection { db in
            try await reminderContexts(taskIDs: taskIDs, reached: reached, on: db)
        }
    }

    /// ``reminderContexts(taskIDs:reached:)`` on `db`, e.g. inside the transaction that locked
    /// the tasks.
    public func reminderContexts(
        isolation callerIsolation: isolated (any Actor)? = #isolation, taskIDs: [Int], reached: [Int],
        on db: PostgresConnection
    ) async throws -> [Int: ReminderContext] {
        guard !taskIDs.isEmpty else { return [:] }
        let rows = try await db.query(
            """
            select t.id as task_id, i.id as item_id, i.title, i.workflow, i.version, i.stage, i.due_at, i.visit_id,
                   i.revision,
                   a.handle, a.display_name, a.timezone, a.channel, a.working_hours, a.roles as global_roles,
                   (select coalesce(array_agg(p.role order by p.role), '{}') from participants p
                     where p.item_id = i.id and p.actor = a.handle) as roles,
                   (t.id = any(\(reached)::bigint[]) and exists (
                       select 1 from deliveries d
                        where d.task_id = t.id and d.recipient = a.handle and d.status = 'delivered')) as delivered
              from tasks t
              join items i on i.id = t.item_id and i.closed_at is null and i.stage = t.stage
              cross join lateral (
                  select coalesce((select array_agg(p.actor) from participants p
                                    where p.item_id = i.id and p.role = t.recipient_role),
                                  (select array_agg(g.handle) from actors g where t.recipient_role = any(g.roles)))
                         as handles
              ) holders
              left join actors a on a.handle = any(holders.handles)
             where t.id = any(\(taskIDs)::bigint[])
             order by t.id, a.handle
            """)
        var contexts: [Int: ReminderContext] = [:]
        for row in rows {
            let taskID = try row.decode(Int.self, "task_id")
            var recipients = contexts[taskID]?.recipients ?? []
            let itemID = try row.decode(Int.self, "item_id")
            let workflow = try row.decode(String.self, "workflow")
            let stageName = try row.decode(String.self, "stage")
            let definition = try await definitions.definition(
                workflow, version: try row.decode(Int.self, "version"), on: db)
            if let handle = try row.decode(String?.self, "handle") {
                // Their roles on the item, and those they hold everywhere (a community manager
                // escalated to without taking part): what they may fire next, and its link.
                let roles = Set(try row.decode([String].self, "roles"))
                    .union(try row.decode([String].self, "global_roles"))
                let next = Self.nextSteps(from: stageName, in: definition).first {
                    $0.timer == nil && !roles.isDisjoint(with: $0.roles)
                }
                recipients.append(
                    ReminderRecipient(
                        handle: handle, name: try row.decode(String.self, "display_name"),
                        timezone: try row.decode(String.self, "timezone"),
                        channel: try row.decode(String?.self, "channel"),
                        workingHours: try row.decode(String.self, "working_hours"),
                        alreadyDelivered: try row.decode(Bool.self, "delivered"), nextTransition: next?.name,
                        nextCommand: next.map { "podium item fire \(itemID) \($0.name) --as \(handle)" }
                            ?? "podium item show \(itemID)"))
            }
            let stage = definition.stage(stageName)
            contexts[taskID] = ReminderContext(
                taskID: taskID, itemID: itemID, title: try row.decode(String.self, "title"), workflow: workflow,
                stage: stageName, stageTitle: stage?.title ?? stageName, guidance: stage?.description ?? "",
                dueAt: try row.decode(Date?.self, "due_at"), visit: try row.decode(Int.self, "visit_id"),
                revision: try row.decode(Int.self, "revision"), recipients: recipients)
        }
        return contexts
    }
}
