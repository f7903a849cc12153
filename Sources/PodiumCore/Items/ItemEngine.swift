internal import Crypto
import Foundation
public import LibPQ
public import WorkflowEngine
internal import WorkflowLanguage

/// Moves items through their workflows. A transition reads the item and what surrounds it, lets
/// the pure ``TransitionDecider`` decide, and writes the history row, the item update, the task
/// changes and the NOTIFY to the workers in one statement that commits only if the item's
/// revision is still the one read. Operators' fixes lock the item row in a transaction instead.
public struct ItemEngine: Sendable {
    /// The channel workers LISTEN on; the payload is the item id.
    public static let taskChannel = "podium_tasks"

    let pool: PostgresPool
    let time: any TimeSource
    /// The door this engine's history entries say they came through.
    private(set) var door: Door
    let definitions = DefinitionCache()

    /// An engine on `pool` that reads `time` and records `door` in every history entry it writes.
    public init(pool: PostgresPool, time: any TimeSource = SystemTime(), door: Door) {
        self.pool = pool
        self.time = time
        self.door = door
    }

    /// This engine (sharing its definition cache) recording `door` instead: the server's pages
    /// and links are doors of their own beside its API.
    public func entering(through door: Door) -> ItemEngine {
        var engine = self
        engine.door = door
        return engine
    }

    /// Runs `body`; a refusal or a conflict for someone who may not see the item (the decider's
    /// ``TransitionDecider/mayRead(_:createdBy:actor:)``) becomes "no item N", exactly as for an
    /// item that does not exist, so nobody learns by a refusal that an item exists or who takes
    /// part in it. Looked up only when `body` refuses.
    func hidingFromNonReaders<T>(item id: Int, actor handle: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PodiumError where error.kind == .refused || error.kind == .conflict {
            // A stale revision or a reused key says as much about the item as a refusal does.
            guard let actor = try? await ActorStore(pool: pool, time: time).find(handle) else { throw error }
            if try await !readable([id], by: actor.identity).contains(id) { throw Self.noSuchItem(id) }
            throw error
        }
    }

    // MARK: Create

    /// Starts an item on the newest version of `workflow`, in its initial stage, with that
    /// stage's tasks scheduled. `author` is recorded as its creator.
    public func create(
        workflow: String, title: String, author: String, participants: [Participant], data: [String: String]
    ) async throws -> ItemView {
        let title = try InputLimits.text(title, what: "title", limit: InputLimits.titleLength)
        guard participants.count <= InputLimits.participants else {
            throw PodiumError(.usage, "\(participants.count) participants; the limit is \(InputLimits.participants)")
        }
        let now = time.now()
        let id = try await pool.transaction(retry: .resilient) { db in
            let (definition, version) = try await definitions.newest(workflow, on: db)
            let creator = try await ActorStore.find(author, on: db)
            // Naming an item's first people is assigning them: the same decider, the same rule
            // (assigned_by, by default the community manager, and admins), as `item assign`.
            let decider = TransitionDecider(definition: definition)
            let identity = ActorIdentity(handle: creator.handle, globalRoles: Set(creator.roles))
            let blank = ItemState(
                id: 0, stage: definition.initial, data: [:], participants: [], stageAuthor: author,
                stageEnteredAt: now)
            for participant in participants {
                guard definition.role(participant.role) != nil else {
                    throw PodiumError(
                        .refused, "\(workflow) has no role \(participant.role)",
                        hint: "its roles: \(definition.roles.map(\.name).joined(separator: ", "))")
                }
                if case .failure = decider.assignment(of: participant.role, by: identity, on: blank) {
                    throw PodiumError(
                        .refused,
                        "\(author) may not name \(participant.role) on a new item; \(decider.whoMayAssign(participant.role))",
                        reason: "not_permitted", details: ["handle": author, "role": participant.role])
                }
                _ = try await ActorStore.find(participant.actor, on: db)
            }
            for role in definition.roles {
                let holders = participants.filter { $0.role == role.name }.count
                if let limit = role.maxPerItem, holders > limit {
                    throw PodiumError(
                        .refused, "\(workflow) allows at most \(limit) \(role.name) per item, not \(holders)")
                }
            }
            if let problem = DataDate.problem(in: data, dateFields: definition.dateFields) {
                throw PodiumError(.usage, problem)
            }
            guard let stage = definition.stage(definition.initial) else {
                throw PodiumError(.schema, "\(workflow)@\(version) has no initial stage \(definition.initial)")
            }
            let calendar = try await definitions.calendar(for: definition, entering: definition.initial, on: db)
            let due = StageSchedule.dueTime(of: stage, enteredAt: now, data: data, calendar: calendar)
            let inserted = try await db.query(
                """
                insert into items (workflow, version, stage, title, data, stage_entered_at, due_at, last_activity_at,
                                   created_by, created_at, updated_at, closed_at)
                values (\(workflow), \(version), \(stage.name), \(title), \(PostgresJSON(data)), \(now), \(due), \(now),
                        \(author), \(now), \(now), \(stage.terminal ? now : nil))
                returning id
                """)
            let id = try inserted.single().decode(Int.self, "id")
            for participant in Set(participants) {
                try await db.execute(
                    "insert into participants (item_id, role, actor) values (\(id), \(participant.role), \(participant.actor))"
                )
            }
            let role = participants.first { $0.actor == author }?.role ?? creator.roles.first ?? "creator"
            let entry = try await db.query(
                """
                insert into history (item_id, kind, to_stage, actor, role, data_change, via, at, due_at)
                values (\(id), \(HistoryKind.create.rawValue), \(stage.name), \(author), \(role), \(PostgresJSON(data)),
                        \(door.rawValue), \(now), \(due))
                returning id
                """)
            let visit = try entry.single().decode(Int.self, "id")
            try await db.execute("update items set visit_id = \(visit) where id = \(id)")
            try await schedule(
                stage, of: definition, calendar: calendar, item: id, visit: visit, data: data, at: now, on: db)
            return id
        }
        return try await show(id)
    }

    // MARK: Fire

    /// Fires `transition` on item `id` as `actor`: one round trip reads what the decision needs,
    /// the pure ``TransitionDecider`` decides, and one statement writes the history row, the item
    /// update, the task changes and the NOTIFY, committing on its own.
    ///
    /// The write happens only if the item's revision is still the one that was read (optimistic
    /// concurrency: every change that could alter a decision bumps the revision). When another
    /// change got in between, nothing is written and the fire is decided again on the new state;
    /// with `expectRevision` it fails with `.conflict` instead. Two round trips in all, where
    /// `pgbench -N` needs five; statements are prepared once per connection. Workers are woken by
    /// NOTIFY only when a new task is due within ``wakeHorizon``; later tasks they find on their
    /// own, which keeps commits free of the server-wide NOTIFY lock.
    ///
    /// - Throws: ``PodiumError`` `.notFound` (item, actor), `.refused` (the decision core's reason),
    ///   `.conflict` (stale `expectRevision`, or an item that kept changing). A refusal changes
    ///   nothing.
    public func fire(
        item id: Int, transition: String, actor handle: String, comment: String? = nil, data: [String: String] = [:],
        expectRevision: Int? = nil, idempotencyKey: String? = nil
    ) async throws -> FireResult {
        do {
            return try await hidingFromNonReaders(item: id, actor: handle) {
                try await decide(
                    item: id, transition: transition, actor: handle, comment: comment, data: data,
                    expectRevision: expectRevision, idempotencyKey: idempotencyKey)
            }
        } catch let error as PodiumError {
            EngineMetrics.refused(error)
            throw error
        }
    }

    /// ``fire(item:transition:actor:comment:data:expectRevision:idempotencyKey:)`` without its
    /// count of refusals: decided again while the item changes under it.
    private func decide(
        item id: Int, transition: String, actor handle: String, comment: String?, data: [String: String],
        expectRevision: Int?, idempotencyKey: String?
    ) async throws -> FireResult {
        if let comment { _ = try InputLimits.text(comment, what: "comment", limit: InputLimits.commentLength) }
        var attempt = 1
        while true {
            let now = time.now()
            let result: FireResult?
            do {
                result = try await pool.withConnectionInPlace(retry: .resilient) { db in
                    try decideAndApply(
                        item: id, transition: transition, actor: handle, comment: comment, data: data,
                        expectRevision: expectRevision, idempotencyKey: idempotencyKey, at: now, on: db)
                }
            } catch let missing as DefinitionCache.Missing {
                // The first fire on this version in this process (or on a calendar read a while
                // ago): read what is missing, then decide again.
                try await pool.withConnection { try await definitions.read(missing, on: $0) }
                continue
            } catch is ItemChanged {
                if let expectRevision {
                    throw PodiumError(
                        .conflict, "item \(id) changed: expected revision \(expectRevision), it moved on meanwhile",
                        hint: "look at the item again, then decide", reason: "revision",
                        details: ["item": "\(id)"])
                }
                guard attempt < Self.decisionAttempts else {
                    throw PodiumError(
                        .conflict, "item \(id) changed \(attempt) times while \(transition) was being decided",
                        hint: "something else keeps changing it; try again in a moment")
                }
                attempt += 1
                continue
            }
            if let result { return result }
            return try await replay(item: id, idempotencyKey: idempotencyKey ?? "")
        }
    }

    /// How many times a fire is decided afresh when the item changed between its read and its write.
    static let decisionAttempts = 10

    /// The body of ``fire(item:transition:actor:comment:data:expectRevision:idempotencyKey:)``,
    /// run in place on the connection's queue: nil when the idempotency key was used before.
    private func decideAndApply(
        item id: Int, transition: String, actor handle: String, comment: String?, data: [String: String],
        expectRevision: Int?, idempotencyKey: String?, at now: Date, on db: isolated PostgresConnection
    ) throws -> FireResult? {
        let context = try FireContext.read(
            item: id, actor: handle, idempotencyKey: idempotencyKey, at: now, on: db)
        let item = context.item
        let requestKey = idempotencyKey.map {
            RequestKey(key: $0, transition: transition, actor: handle, comment: comment, data: data)
        }
        if let replayed = context.replayed {
            // The same key again: the same request replays its first result; another request is
            // refused, never answered with someone else's result.
            if let stored = replayed.fingerprint, stored != requestKey?.fingerprint {
                throw PodiumError(
                    .conflict,
                    "idempotency key \(idempotencyKey ?? "") was used for a different request on item \(id)",
                    hint: "send a new key with a new request", reason: "idempotency_key")
            }
            return nil
        }
        if let expectRevision, expectRevision != item.revision {
            throw PodiumError(
                .conflict, "item \(id) changed: expected revision \(expectRevision), it is at \(item.revision)",
                hint: "look at the item again, then decide", reason: "revision",
                details: ["item": "\(id)"])
        }
        let definition = try definitions.cached(item.workflow, version: item.version)
        switch TransitionDecider(definition: definition).decide(
            FireRequest(transition: transition, actor: try context.actor(), comment: comment, dataChanges: data),
            for: context.state)
        {
        case .refused(let refusal):
            throw PodiumError(
                refusal.reason == .invalidData ? .usage : .refused, refusal.message, reason: refusal.reason.code)
        case .approvalRecorded(let progress):
            var revision = item.revision
            if !progress.wasAlreadyCounted {
                let rows = try db.queryCommitting(
                    """
                    with bumped as (
                        update items set revision = revision + 1, last_activity_at = \(now), updated_at = \(now)
                         where id = \(id) and revision = \(item.revision)
                        returning revision
                    ), approval as (
                        insert into approvals (item_id, visit_id, transition, actor, delegate, role, comment, at)
                        select \(id), \(item.visit), \(transition), \(progress.onBehalfOf ?? handle),
                               \(progress.onBehalfOf == nil ? nil : handle), \(progress.role), \(comment), \(now)
                          from bumped
                        on conflict do nothing
                        returning role
                    ), logged as (
                        insert into history (item_id, kind, transition, from_stage, to_stage, actor, on_behalf_of, role,
                                             comment, idempotency_key, request_fingerprint, via, at)
                        select \(id), \(HistoryKind.approval.rawValue), \(transition), \(item.stage), \(item.stage),
                               \(handle), \(progress.onBehalfOf), approval.role, \(comment), \(requestKey?.key),
                               \(requestKey?.fingerprint), \(door.rawValue), \(now)
                          from approval
                    )
                    select revision from bumped
                    """)
                guard let row = rows.first else { throw ItemChanged() }
                revision = try row.decode(Int.self, "revision")
                EngineMetrics.fired(workflow: item.workflow, transition: transition, outcome: .approvalRecorded)
            }
            return FireResult(
                outcome: .approvalRecorded, replayed: false, itemID: id, stage: item.stage, revision: revision,
                isClosed: item.isClosed, entry: nil,
                approval: ApprovalView(
                    transition: progress.transition, approvers: progress.approvers, needed: progress.needed))
        case .move(let move):
            let statement = try moveStatement(
                move, kind: .transition, of: item, definition: definition,
                calendar: try definitions.cachedCalendar(for: definition, entering: move.to), key: requestKey, at: now)
            let applied = try Self.applied(db.queryCommitting(statement))
            let entry = HistoryEntry(
                id: applied.entry, kind: HistoryKind.transition.rawValue, transition: move.transition,
                fromStage: move.from,
                toStage: move.to, actor: move.actor, onBehalfOf: move.onBehalfOf, role: move.role,
                comment: move.comment,
                dataChange: move.dataChanges.isEmpty ? nil : move.dataChanges, at: now, via: door.rawValue,
                secondsInStage: 0)
            EngineMetrics.fired(workflow: item.workflow, transition: transition, outcome: .moved)
            return FireResult(
                outcome: .moved, replayed: false, itemID: id, stage: move.to, revision: applied.revision,
                isClosed: move.closesItem, entry: entry, approval: nil)
        }
    }

    /// The item's revision was no longer the one the decision was made on; nothing was written.
    struct ItemChanged: Error {}

    /// The first result of a fire whose idempotency key was used before.
    private func replay(item id: Int, idempotencyKey: String) async throws -> FireResult {
        let entryRows = try await pool.query(
            "select id from history where item_id = \(id) and idempotency_key = \(idempotencyKey)")
        let entryID = try entryRows.single().decode(Int.self, "id")
        let entry = try await history(id).first { $0.id == entryID }
        let item = try await pool.query(
            "select stage, revision, closed_at is not null as closed from items where id = \(id)"
        ).single()
        // An approval that did not move the item replays with the approvals as they stand now
        // (its own is among them, unless the stage has since moved on).
        let approved = entry?.kind == HistoryKind.approval.rawValue
        let approval = approved ? try await show(id).approvals.first { $0.transition == entry?.transition } : nil
        return FireResult(
            outcome: approved ? .approvalRecorded : .moved, replayed: true,
            itemID: id, stage: try item.decode(String.self, "stage"),
            revision: try item.decode(Int.self, "revision"), isClosed: try item.decode(Bool.self, "closed"),
            entry: entry, approval: approval)
    }

    /// Workers are told about new tasks due sooner than this; they look for later ones themselves
    /// at least this often (``WorkerOptions`` caps the poll interval to it).
    public static let wakeHorizon: Duration = .seconds(60)

    /// The one statement that appends the history row and carries out a move: the item updated,
    /// its open tasks retired (see ``retireOpenTasks(of:visit:at:when:)``), the new stage's tasks inserted,
    /// and the workers woken when one is due soon. It writes only while the item's revision is
    /// still `item.revision`; run it with ``applied(_:)``, which throws ``ItemChanged`` otherwise.
    ///
    /// The history row's id comes from its sequence inside the statement, so the item can point
    /// at its new visit in the same statement.
    func moveStatement(
        _ move: Move, kind: HistoryKind, of item: ItemRow, definition: WorkflowDefinition,
        calendar: BusinessCalendar?, key: RequestKey?, at now: Date
    ) throws -> PostgresQuery {
        guard let stage = definition.stage(move.to) else {
            throw PodiumError(.schema, "\(definition.name) has no stage \(move.to)")
        }
        let change = move.dataChanges.isEmpty ? nil : PostgresJSON(move.dataChanges)
        let transition = kind == .transition ? move.transition : nil
        let due = StageSchedule.dueTime(of: stage, enteredAt: now, data: move.data, calendar: calendar)
        let tasks = StageSchedule.tasks(
            for: stage, in: definition, enteredAt: now, data: move.data, calendar: calendar)
        var scheduled: PostgresQuery = ""
        if !tasks.isEmpty {
            let rows = tasks.map { task -> PostgresQuery in
                """
                (\(task.kind.rawValue), \(task.transition), \(task.recipientRole), \(task.sequence), \(task.runAt),
                 \(Self.keySuffix(task)), \(task.label))
                """
            }
            scheduled = """
                , scheduled as (
                    insert into tasks (item_id, visit_id, kind, stage, transition, recipient_role, sequence, run_at,
                                       idempotency_key, label, created_at)
                    select \(item.id), entry.id, t.kind, \(stage.name), t.transition, t.recipient_role, t.sequence,
                           t.run_at, 'item-' || \(String(item.id)) || '-visit-' || entry.id || '-' || t.suffix,
                           t.label, \(now)
                      from entry,
                           (values \(PostgresQuery.joined(rows, separator: ", ")))
                           as t(kind, transition, recipient_role, sequence, run_at, suffix, label)
                )
                """
        }
        let wake: PostgresQuery =
            Self.wakesWorkers(tasks, now: now) ? ", pg_notify(\(Self.taskChannel), \(String(item.id)))" : ""
        return """
            with visit as (
                select nextval(pg_get_serial_sequence('history', 'id')) as id
            ), moved as (
                update items
                   set stage = \(move.to), data = \(PostgresJSON(move.data)), revision = revision + 1,
                       visit_id = (select id from visit), stage_entered_at = \(now), due_at = \(due),
                       last_activity_at = \(now), updated_at = \(now), closed_at = \(move.closesItem ? now : nil)
                 where id = \(item.id) and revision = \(item.revision)
                returning revision
            ), entry as (
                insert into history (id, item_id, kind, transition, from_stage, to_stage, actor, on_behalf_of, role,
                                     comment, data_change, idempotency_key, request_fingerprint, via, at, due_at)
                overriding system value
                select visit.id, \(item.id), \(kind.rawValue), \(transition), \(move.from), \(move.to), \(move.actor),
                       \(move.onBehalfOf), \(move.role), \(move.comment), \(change), \(key?.key), \(key?.fingerprint),
                       \(door.rawValue), \(now), \(due)
                  from visit, moved
                returning id
            )\(Self.retireOpenTasks(of: item.id, visit: item.visit, at: now, when: "exists (select from moved)"))\(scheduled)
            select entry.id, moved.revision\(wake) from entry, moved
            """
    }

    /// The history entry and new revision a ``moveStatement`` wrote.
    /// - Throws: ``ItemChanged`` when it wrote nothing because the revision had moved on.
    static func applied(_ rows: PostgresRows) throws -> (entry: Int, revision: Int) {
        guard let row = rows.first else { throw ItemChanged() }
        return (try row.decode(Int.self, "id"), try row.decode(Int.self, "revision"))
    }

    /// Two statements for a `with` list that retire the item's open tasks when the item leaves a
    /// stage: tasks never attempted and without a delivery are deleted (the history row already
    /// says the item moved on, and a delete leaves no new row or index entry behind); the others
    /// (running, waiting to retry, or held for working hours after reaching some recipients) are
    /// kept as `cancelled`, with their delivery rows. `condition` is SQL that must hold for either.
    ///
    /// An item's open tasks all belong to its current `visit` (`podium check` verifies it), and
    /// looking them up by visit reads only those: the item's earlier visits leave index entries
    /// behind until vacuum, hundreds of them on an item that changes often (`SQL/008`).
    static func retireOpenTasks(
        of item: Int, visit: Int, at now: Date, when condition: PostgresQuery
    ) -> PostgresQuery {
        """
        , unattempted as (
            delete from tasks t
             where t.item_id = \(item) and t.visit_id = \(visit) and t.status = \(TaskStatus.pending.sql) and t.attempts = 0
               and not exists (select from deliveries d where d.task_id = t.id) and \(condition)
        ), cancelled as (
            update tasks t set status = \(TaskStatus.cancelled.sql), finished_at = \(now)
             where t.item_id = \(item) and t.visit_id = \(visit) and t.status in \(TaskStatus.stillToRunSQL)
               and (t.status = \(TaskStatus.running.sql) or t.attempts > 0 or exists (select from deliveries d where d.task_id = t.id))
               and \(condition)
        )
        """
    }

    /// The end of a task's idempotency key, after `item-<id>-visit-<visit>-`: its kind, then its
    /// transition (timers) or its number (reminders, escalations). The same on every retry.
    static func keySuffix(_ task: PlannedTask) -> String {
        "\(task.kind.rawValue)-\(task.transition ?? String(task.sequence))"
    }

    /// True when one of `tasks` is due within ``wakeHorizon`` of `now`.
    static func wakesWorkers(_ tasks: [PlannedTask], now: Date) -> Bool {
        let horizon = now.addingTimeInterval(TimeInterval(wakeHorizon.components.seconds))
        return tasks.contains { $0.runAt <= horizon }
    }

    /// Inserts the tasks of a new item's first stage visit and wakes the workers when one is due soon.
    private func schedule(
        _ stage: StageDefinition, of definition: WorkflowDefinition, calendar: BusinessCalendar?, item: Int,
        visit: Int, data: [String: String], at now: Date, on db: PostgresConnection
    ) async throws {
        let tasks = StageSchedule.tasks(for: stage, in: definition, enteredAt: now, data: data, calendar: calendar)
        guard !tasks.isEmpty else { return }
        let rows = tasks.map { task -> PostgresQuery in
            let key = "item-\(item)-visit-\(visit)-\(Self.keySuffix(task))"
            return """
                (\(item), \(visit), \(task.kind.rawValue), \(stage.name), \(task.transition), \(task.recipientRole),
                 \(task.sequence), \(task.runAt), \(key), \(task.label), \(now))
                """
        }
        try await db.execute(
            """
            insert into tasks (item_id, visit_id, kind, stage, transition, recipient_role, sequence, run_at,
                               idempotency_key, label, created_at)
            values \(PostgresQuery.joined(rows, separator: ", "))
            """)
        if Self.wakesWorkers(tasks, now: now) {
            try await db.execute("select pg_notify(\(Self.taskChannel), \(String(item)))")
        }
    }

    // MARK: Comments and assignments

    /// Adds a comment by a participant or a holder of one of the workflow's roles.
    public func comment(item id: Int, actor handle: String, text: String) async throws {
        let body = try InputLimits.text(text, what: "comment", limit: InputLimits.commentLength)
        let now = time.now()
        try await hidingFromNonReaders(item: id, actor: handle) {
            try await comment(item: id, actor: handle, body: body, at: now)
        }
    }

    private func comment(item id: Int, actor handle: String, body: String, at now: Date) async throws {
        try await pool.transaction(retry: .resilient) { db in
            let locked = try await lockItem(id, on: db)
            let definition = try await definitions.definition(locked.workflow, version: locked.version, on: db)
            let role = try await actingRole(handle, on: locked, definition: definition, db: db)
            try await db.execute(
                "insert into comments (item_id, actor, body, at) values (\(id), \(handle), \(body), \(now))")
            try await db.execute(
                """
                insert into history (item_id, kind, from_stage, to_stage, actor, role, comment, via, at)
                values (\(id), \(HistoryKind.comment.rawValue), \(locked.stage), \(locked.stage), \(handle), \(role),
                        \(body), \(door.rawValue), \(now))
                """)
            try await db.execute("update items set last_activity_at = \(now), updated_at = \(now) where id = \(id)")
        }
    }

    /// Gives `handle` the role `role` on the item; recorded in history.
    ///
    /// - Throws: ``PodiumError`` `.refused` when the decider says no (see
    ///   `TransitionDecider.assignment(of:by:on:)`: only the roles the workflow names in
    ///   `assigned_by:`, by default the community manager, and admins assign), when `handle`
    ///   holds the role already or the role is full; `.notFound` for an unknown item or actor.
    public func assign(item id: Int, role: String, to handle: String, actor: String) async throws -> HistoryEntry {
        try await changeParticipants(item: id, role: role, actor: actor, kind: .assign) { db, locked, definition in
            _ = try await ActorStore.find(handle, on: db)
            let holders = try await db.query("select actor from participants where item_id = \(id) and role = \(role)")
                .map { try $0.decode(String.self, "actor") }
            guard !holders.contains(handle) else {
                throw PodiumError(
                    .refused, "\(handle) is already \(Self.article(role)) \(role) on item \(id)",
                    reason: "already_assigned")
            }
            if let limit = definition.role(role)?.maxPerItem, holders.count >= limit {
                throw PodiumError(
                    .refused, "item \(id) already has \(holders.count) \(role) (at most \(limit))",
                    hint: "take the role away from one of them first", reason: "role_full",
                    details: ["item": "\(id)", "role": role])
            }
            try await db.execute("insert into participants (item_id, role, actor) values (\(id), \(role), \(handle))")
            return ("\(handle) is now \(Self.article(role)) \(role)", ["assigned": "\(role)=\(handle)"])
        }
    }

    /// Takes the role `role` on the item away from `handle`; recorded in history. The same people
    /// may do it as may assign the role (`TransitionDecider.assignment(of:by:on:)`).
    ///
    /// - Throws: ``PodiumError`` `.refused` when the decider says no or `handle` does not hold
    ///   the role on the item; `.notFound` for an unknown item or actor.
    public func unassign(item id: Int, role: String, from handle: String, actor: String) async throws -> HistoryEntry {
        try await changeParticipants(item: id, role: role, actor: actor, kind: .unassign) { db, _, _ in
            let removed = try await db.query(
                "delete from participants where item_id = \(id) and role = \(role) and actor = \(handle) returning actor"
            )
            guard !removed.rows.isEmpty else {
                throw PodiumError(
                    .refused, "\(handle) is not \(Self.article(role)) \(role) on item \(id)", reason: "not_assigned")
            }
            return ("\(handle) is no longer \(Self.article(role)) \(role)", ["unassigned": "\(role)=\(handle)"])
        }
    }

    /// Gives `handle` the role `role` on the item in place of everyone who holds it now, in one
    /// transaction (one history entry saying both), so a role held by one person at most can
    /// change hands and no moment has two holders or none. Who may do it is who may assign the role.
    ///
    /// - Throws: as ``assign(item:role:to:actor:)``; `.refused` when `handle` alone holds it already.
    public func reassign(item id: Int, role: String, to handle: String, actor: String) async throws -> HistoryEntry {
        try await changeParticipants(item: id, role: role, actor: actor, kind: .assign) { db, _, _ in
            _ = try await ActorStore.find(handle, on: db)
            let removed = try await db.query(
                """
                delete from participants where item_id = \(id) and role = \(role) and actor <> \(handle)
                returning actor
                """
            ).map { try $0.decode(String.self, "actor") }.sorted()
            let added = try await db.execute(
                """
                insert into participants (item_id, role, actor) values (\(id), \(role), \(handle))
                on conflict do nothing
                """)
            guard added > 0 || !removed.isEmpty else {
                throw PodiumError(
                    .refused, "\(handle) is already the only \(role) on item \(id)", reason: "already_assigned")
            }
            let instead = removed.isEmpty ? "" : " in place of \(removed.joined(separator: ", "))"
            return (
                "\(handle) is now \(Self.article(role)) \(role)\(instead)",
                ["assigned": "\(role)=\(handle)", "unassigned": removed.map { "\(role)=\($0)" }.joined(separator: ",")]
            )
        }
    }

    /// One change of an item's people, in one transaction: the item locked, the decider asked
    /// whether `actor` may assign `role`, `change` applied (it returns the history entry's text
    /// and data), the entry appended and the revision bumped.
    private func changeParticipants(
        item id: Int, role: String, actor: String, kind: HistoryKind,
        _ change:
            @escaping @Sendable (PostgresConnection, ItemRow, WorkflowDefinition) async throws -> (
                String, [String: String]
            )
    ) async throws -> HistoryEntry {
        let now = time.now()
        let entryID = try await hidingFromNonReaders(item: id, actor: actor) {
            try await pool.transaction(retry: .resilient) { db in
                let locked = try await lockItem(id, on: db)
                let definition = try await definitions.definition(locked.workflow, version: locked.version, on: db)
                let context = try await FireContext.read(item: id, actor: actor, idempotencyKey: nil, at: now, on: db)
                let actingAs: String
                switch TransitionDecider(definition: definition).assignment(
                    of: role, by: try context.actor(), on: context.state)
                {
                case .success(let held): actingAs = held
                case .failure(let refusal): throw PodiumError(.refused, refusal.message, reason: refusal.reason.code)
                }
                let (text, data) = try await change(db, locked, definition)
                let entry = try await db.query(
                    """
                    insert into history (item_id, kind, from_stage, to_stage, actor, role, comment, data_change, via, at)
                    values (\(id), \(kind.rawValue), \(locked.stage), \(locked.stage), \(actor), \(actingAs), \(text),
                            \(PostgresJSON(data)), \(door.rawValue), \(now))
                    returning id
                    """)
                try await db.execute(
                    "update items set revision = revision + 1, last_activity_at = \(now), updated_at = \(now) where id = \(id)"
                )
                return try entry.single().decode(Int.self, "id")
            }
        }
        return try await entry(entryID, of: id)
    }

    /// `a` or `an` before a role's name, as it is spoken: an executive, a coach.
    public static func article(_ role: String) -> String {
        role.first.map { "aeiou".contains($0) } == true ? "an" : "a"
    }

    /// The role `handle` acts in on this item: a participant's role, or a global role the workflow declares.
    private func actingRole(
        _ handle: String, on locked: ItemRow, definition: WorkflowDefinition, db: PostgresConnection
    ) async throws -> String {
        let actor = try await ActorStore.find(handle, on: db)
        let held = try await db.query(
            "select role from participants where item_id = \(locked.id) and actor = \(handle) order by role")
        if let role = held.first { return try role.decode(String.self, "role") }
        if let role = definition.roles.map(\.name).first(where: actor.roles.contains) { return role }
        throw PodiumError(
            .refused, "\(handle) takes no part in item \(locked.id)",
            hint: "someone who may assign roles gives them one first", reason: "not_participant",
            details: ["item": "\(locked.id)", "handle": handle])
    }

    // MARK: Reading the item

    /// The item row as a decision reads it: unlocked in a fire (whose write checks `revision`),
    /// under a row lock in the operators' fixes.
    struct ItemRow {
        let id: Int
        let workflow: String
        let version: Int
        let stage: String
        let data: [String: String]
        let revision: Int
        let visit: Int
        let stageEnteredAt: Date
        let isClosed: Bool

        /// The select list that ``init(_:)`` decodes, for a query on `items i`.
        static let columns: PostgresQuery = """
            i.id, i.workflow, i.version, i.stage, i.data::text as data, i.revision, i.visit_id, i.stage_entered_at,
            i.closed_at is not null as closed
            """

        init(_ row: PostgresRow) throws {
            id = try row.decode(Int.self, "id")
            workflow = try row.decode(String.self, "workflow")
            version = try row.decode(Int.self, "version")
            stage = try row.decode(String.self, "stage")
            data = try ItemEngine.decodeData(try row.decode(String.self, "data"))
            revision = try row.decode(Int.self, "revision")
            visit = try row.decode(Int.self, "visit_id")
            stageEnteredAt = try row.decode(Date.self, "stage_entered_at")
            isClosed = try row.decode(Bool.self, "closed")
        }
    }

    /// Reads item `id` and locks its row until the transaction ends.
    func lockItem(_ id: Int, on db: isolated PostgresConnection) throws -> ItemRow {
        let rows = try db.query("select \(ItemRow.columns) from items i where i.id = \(id) for update")
        guard let row = rows.first else {
            throw PodiumError(
                .notFound, "no item \(id)", hint: "list the items to find it", reason: "item",
                details: ["item": "\(id)"])
        }
        return try ItemRow(row)
    }

    static func decodeData(_ text: String) throws -> [String: String] {
        if let strings = JSONStringsReader.object(text) { return strings }
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        return object.mapValues { value in (value as? String) ?? "\(value)" }
    }
}

/// An idempotency key and the fingerprint of the request it came with: SHA-256 of the
/// transition, the actor, the comment and the data, each spelled unambiguously. A key reused with
/// another fingerprint is a different request.
struct RequestKey {
    let key: String
    let fingerprint: String

    init(key: String, transition: String, actor: String, comment: String?, data: [String: String]) {
        self.key = key
        // Lengths before each part keep "a" + "bc" apart from "ab" + "c".
        var spelled = ""
        for part in [transition, actor, comment ?? "\u{0}"]
            + data.sorted(by: { $0.key < $1.key }).flatMap({ [$0.key, $0.value] })
        {
            spelled += "\(part.utf8.count):\(part);"
        }
        fingerprint = Hex.sha256(Data(spelled.utf8))
    }
}
