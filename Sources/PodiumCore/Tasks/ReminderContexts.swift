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
    /// The person away this recipient stands in for (handle and name), with when they are back.
    public var standsInFor: (handle: String, name: String, backAt: Date)? = nil
    /// When the role's holder, away with nobody standing in, is back: the message waits for
    /// them until then (`stuck` says so meanwhile). Nil when they are not away.
    public var awayUntil: Date? = nil
    /// Immediate messages, or reminders held for a daily digest at ``digestAt``.
    public var delivery: DeliveryPreference = .immediate
    public var digestAt = "08:30"
    /// Nothing reaches them until then.
    public var pausedUntil: Date? = nil
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
    ///
    /// A holder who is away at `now` (``AbsenceStore``) is replaced by their delegate, who hears
    /// as their stand-in; one away with nobody standing in is listed with
    /// ``ReminderRecipient/awayUntil`` so the message waits for them.
    public func reminderContexts(taskIDs: [Int], reached: [Int], at now: Date) async throws -> [Int: ReminderContext] {
        guard !taskIDs.isEmpty else { return [:] }
        return try await pool.withConnection { db in
            try await reminderContexts(taskIDs: taskIDs, reached: reached, at: now, on: db)
        }
    }

    /// ``reminderContexts(taskIDs:reached:at:)`` on `db`, e.g. inside the transaction that
    /// locked the tasks.
    public func reminderContexts(
        isolation callerIsolation: isolated (any Actor)? = #isolation, taskIDs: [Int], reached: [Int], at now: Date,
        on db: PostgresConnection
    ) async throws -> [Int: ReminderContext] {
        guard !taskIDs.isEmpty else { return [:] }
        let rows = try await db.query(
            """
            select t.id as task_id, i.id as item_id, i.title, i.workflow, i.version, i.stage, i.due_at, i.visit_id,
                   i.revision,
                   a.handle, a.display_name, a.timezone, a.channel, a.working_hours, a.roles as global_roles,
                   a.delivery, a.digest_at, a.paused_until,
                   (select coalesce(array_agg(p.role order by p.role), '{}') from participants p
                     where p.item_id = i.id and p.actor = h.handle) || h.roles as roles,
                   case when away.delegate is not null then h.handle end as for_handle,
                   case when away.delegate is not null then h.display_name end as for_name,
                   away.back_at, away.delegate,
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
              left join actors h on h.handle = any(holders.handles)
              left join lateral (
                  select ab.delegate, least(ab.ended_at, ab.ends_at) as back_at from absences ab
                   where ab.actor = h.handle and ab.starts_at <= \(now) and least(ab.ended_at, ab.ends_at) > \(now)
                   order by ab.starts_at desc limit 1
              ) away on true
              left join actors a on a.handle = coalesce(away.delegate, h.handle)
             where t.id = any(\(taskIDs)::bigint[])
             order by t.id, a.handle, h.handle
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
            // A delegate standing in for two holders hears once.
            if let handle = try row.decode(String?.self, "handle"), !recipients.contains(where: { $0.handle == handle })
            {
                // The roles of the holder on the item and everywhere (a community manager escalated
                // to without taking part), and a stand-in's own: what they may fire next, and its link.
                let roles = Set(try row.decode([String].self, "roles"))
                    .union(try row.decode([String].self, "global_roles"))
                let backAt = try row.decode(Date?.self, "back_at")
                let forHandle = try row.decode(String?.self, "for_handle")
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
                        nextCommand: next.map { transition in
                            // What the transition asks for is in the command, to fill in.
                            "podium item fire \(itemID) \(transition.name) --as \(handle)"
                                + transition.requiredFields.map { " --set \($0)=..." }.joined()
                                + (transition.requiresComment ? " --comment '...'" : "")
                        } ?? "podium item show \(itemID)",
                        standsInFor: try forHandle.map {
                            ($0, try row.decode(String.self, "for_name"), backAt ?? now)
                        },
                        awayUntil: forHandle == nil ? backAt : nil,
                        delivery: DeliveryPreference(rawValue: try row.decode(String.self, "delivery")) ?? .immediate,
                        digestAt: try row.decode(String.self, "digest_at"),
                        pausedUntil: try row.decode(Date?.self, "paused_until")))
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
