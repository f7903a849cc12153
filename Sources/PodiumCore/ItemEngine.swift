import Foundation
public import LibPQ
public import WorkflowEngine
internal import WorkflowLanguage

/// Moves items through their workflows. Every change is one database transaction: the item row
/// is locked, the pure ``TransitionDecider`` decides, and the history row, the item update, the
/// task changes and the NOTIFY to the workers commit together or not at all.
public struct ItemEngine: Sendable {
    /// The channel workers LISTEN on; the payload is the item id.
    public static let taskChannel = "podium_tasks"

    let pool: PostgresPool
    let time: any TimeSource
    let definitions = DefinitionCache()

    public init(pool: PostgresPool, time: any TimeSource = SystemTime()) {
        self.pool = pool
        self.time = time
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
            for participant in participants {
                guard definition.role(participant.role) != nil else {
                    throw PodiumError(
                        .refused, "\(workflow) has no role \(participant.role)",
                        hint: "its roles: \(definition.roles.map(\.name).joined(separator: ", "))")
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
            guard let stage = definition.stage(definition.initial) else {
                throw PodiumError(.schema, "\(workflow)@\(version) has no initial stage \(definition.initial)")
            }
            let due = StageSchedule.dueTime(of: stage, enteredAt: now, data: data)
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
                insert into history (item_id, kind, to_stage, actor, role, data_change, at)
                values (\(id), 'create', \(stage.name), \(author), \(role), \(PostgresJSON(data)), \(now))
                returning id
                """)
            let visit = try entry.single().decode(Int.self, "id")
            try await db.execute("update items set visit_id = \(visit) where id = \(id)")
            try await schedule(stage, of: definition, item: id, visit: visit, data: data, at: now, on: db)
            return id
        }
        return try await show(id)
    }

    // MARK: Fire

    /// Fires `transition` on item `id` as `actor`, in one transaction.
    ///
    /// Five round trips, as many as `pgbench -N`: BEGIN; lock the item row; read what the decision
    /// needs (participants, approvals, the actor, an earlier use of the idempotency key) in one
    /// query; carry out the decision in one statement; COMMIT. Statements are prepared once per
    /// connection. Workers are woken by NOTIFY only when a new task is due within
    /// ``wakeHorizon``; for later tasks they find them on their own, which keeps commits free of
    /// the server-wide NOTIFY lock.
    ///
    /// - Throws: ``PodiumError`` `.notFound` (item, actor), `.refused` (the decision core's reason),
    ///   `.conflict` (stale `expectRevision`). A refusal changes nothing.
    public func fire(
        item id: Int, transition: String, actor handle: String, comment: String? = nil, data: [String: String] = [:],
        expectRevision: Int? = nil, idempotencyKey: String? = nil
    ) async throws -> FireResult {
        if let comment { _ = try InputLimits.text(comment, what: "comment", limit: InputLimits.commentLength) }
        let now = time.now()
        let result: FireResult?
        do {
            result = try await pool.transactionInPlace(retry: .resilient) { db in
                try decideAndApply(
                    item: id, transition: transition, actor: handle, comment: comment, data: data,
                    expectRevision: expectRevision, idempotencyKey: idempotencyKey, at: now, on: db)
            }
        } catch let missing as DefinitionCache.Missing {
            // The first fire on this version in this process: read the definition, then again.
            _ = try await pool.withConnection {
                try await definitions.definition(missing.workflow, version: missing.version, on: $0)
            }
            return try await fire(
                item: id, transition: transition, actor: handle, comment: comment, data: data,
                expectRevision: expectRevision, idempotencyKey: idempotencyKey)
        }
        if let result { return result }
        return try await replay(item: id, idempotencyKey: idempotencyKey ?? "")
    }

    /// The body of ``fire(item:transition:actor:comment:data:expectRevision:idempotencyKey:)``,
    /// run in place on the connection's queue: nil when the idempotency key was used before.
    private func decideAndApply(
        item id: Int, transition: String, actor handle: String, comment: String?, data: [String: String],
        expectRevision: Int?, idempotencyKey: String?, at now: Date, on db: isolated PostgresConnection
    ) throws -> FireResult? {
        let locked = try lockItem(id, on: db)
        let context = try FireContext.read(
            for: locked, actor: handle, idempotencyKey: idempotencyKey, on: db)
        if context.replayedEntry != nil { return nil }
        if let expectRevision, expectRevision != locked.revision {
            throw PodiumError(
                .conflict, "item \(id) changed: expected revision \(expectRevision), it is at \(locked.revision)",
                hint: "look again with podium item show \(id), then decide")
        }
        let definition = try definitions.cached(locked.workflow, version: locked.version)
        let state = ItemState(
            id: id, stage: locked.stage, data: locked.data, participants: context.participants,
            stageAuthor: context.stageAuthor, stageEnteredAt: locked.stageEnteredAt, approvals: context.approvals,
            isClosed: locked.isClosed)
        switch TransitionDecider(definition: definition).decide(
            FireRequest(transition: transition, actor: try context.actor(), comment: comment, dataChanges: data),
            for: state)
        {
        case .refused(let refusal):
            throw PodiumError(.refused, refusal.message)
        case .approvalRecorded(let progress):
            var revision = locked.revision
            if !progress.wasAlreadyCounted {
                revision = try db.query(
                    """
                    with approval as (
                        insert into approvals (item_id, visit_id, transition, actor, role, comment, at)
                        values (\(id), \(locked.visit), \(transition), \(handle), \(progress.role), \(comment), \(now))
                        on conflict do nothing
                    )
                    update items set revision = revision + 1, last_activity_at = \(now), updated_at = \(now)
                     where id = \(id)
                    returning revision
                    """
                ).single().decode(Int.self, "revision")
            }
            return FireResult(
                outcome: .approvalRecorded, replayed: false, itemID: id, stage: locked.stage, revision: revision,
                isClosed: locked.isClosed, entry: nil,
                approval: ApprovalView(
                    transition: progress.transition, approvers: progress.approvers, needed: progress.needed))
        case .move(let move):
            let applied = try apply(
                move, kind: "transition", to: locked, definition: definition, key: idempotencyKey, at: now, on: db)
            let entry = HistoryEntry(
                id: applied.entry, kind: "transition", transition: move.transition, fromStage: move.from,
                toStage: move.to, actor: move.actor, role: move.role, comment: move.comment,
                dataChange: move.dataChanges.isEmpty ? nil : move.dataChanges, at: now, secondsInStage: 0)
            return FireResult(
                outcome: .moved, replayed: false, itemID: id, stage: move.to, revision: applied.revision,
                isClosed: move.closesItem, entry: entry, approval: nil)
        }
    }

    /// The first result of a fire whose idempotency key was used before.
    private func replay(item id: Int, idempotencyKey: String) async throws -> FireResult {
        let entryRows = try await pool.query(
            "select id from history where item_id = \(id) and idempotency_key = \(idempotencyKey)")
        let entryID = try entryRows.single().decode(Int.self, "id")
        let entry = try await history(id).first { $0.id == entryID }
        let item = try await pool.query(
            "select stage, revision, closed_at is not null as closed from items where id = \(id)"
        ).single()
        return FireResult(
            outcome: .moved, replayed: true, itemID: id, stage: try item.decode(String.self, "stage"),
            revision: try item.decode(Int.self, "revision"), isClosed: try item.decode(Bool.self, "closed"),
            entry: entry, approval: nil)
    }

    /// Workers are told about new tasks due sooner than this; they look for later ones themselves
    /// at least this often (``WorkerOptions`` caps the poll interval to it).
    public static let wakeHorizon: Duration = .seconds(60)

    /// Appends the history row and carries out a move in one statement: the item updated, its open
    /// tasks cancelled, the new stage's tasks inserted, and the workers woken when one is due soon.
    func apply(
        _ move: Move, kind: String, to locked: LockedItem, definition: WorkflowDefinition, key: String?, at now: Date,
        on db: isolated PostgresConnection
    ) throws -> (entry: Int, revision: Int) {
        guard let stage = definition.stage(move.to) else {
            throw PodiumError(.schema, "\(definition.name) has no stage \(move.to)")
        }
        let change = move.dataChanges.isEmpty ? nil : PostgresJSON(move.dataChanges)
        let transition = kind == "transition" ? move.transition : nil
        let due = StageSchedule.dueTime(of: stage, enteredAt: now, data: move.data)
        let tasks = StageSchedule.tasks(for: stage, in: definition, enteredAt: now, data: move.data)
        var scheduled: PostgresQuery = ""
        if !tasks.isEmpty {
            let rows = tasks.map { task -> PostgresQuery in
                let suffix = "\(task.kind.rawValue)-\(task.transition ?? String(task.sequence))"
                return """
                    (\(task.kind.rawValue), \(task.transition), \(task.recipientRole), \(task.sequence), \(task.runAt),
                     \(suffix), \(task.label))
                    """
            }
            scheduled = """
                , scheduled as (
                    insert into tasks (item_id, visit_id, kind, stage, transition, recipient_role, sequence, run_at,
                                       idempotency_key, label, created_at)
                    select \(locked.id), entry.id, t.kind, \(stage.name), t.transition, t.recipient_role, t.sequence,
                           t.run_at, 'item-' || \(String(locked.id)) || '-visit-' || entry.id || '-' || t.suffix,
                           t.label, \(now)
                      from entry,
                           (values \(PostgresQuery.joined(rows, separator: ", ")))
                           as t(kind, transition, recipient_role, sequence, run_at, suffix, label)
                )
                """
        }
        let wake: PostgresQuery =
            Self.wakesWorkers(tasks, now: now) ? ", pg_notify(\(Self.taskChannel), \(String(locked.id)))" : ""
        let row = try db.query(
            """
            with entry as (
                insert into history (item_id, kind, transition, from_stage, to_stage, actor, role, comment, data_change,
                                     idempotency_key, at)
                values (\(locked.id), \(kind), \(transition), \(move.from), \(move.to), \(move.actor), \(move.role),
                        \(move.comment), \(change), \(key), \(now))
                returning id
            ), moved as (
                update items
                   set stage = \(move.to), data = \(PostgresJSON(move.data)), revision = revision + 1,
                       visit_id = (select id from entry), stage_entered_at = \(now), due_at = \(due),
                       last_activity_at = \(now), updated_at = \(now), closed_at = \(move.closesItem ? now : nil)
                 where id = \(locked.id)
                returning revision
            ), cancelled as (
                update tasks set status = 'cancelled', finished_at = \(now)
                 where item_id = \(locked.id) and status in ('pending', 'running')
            )\(scheduled)
            select entry.id, moved.revision\(wake) from entry, moved
            """
        ).single()
        return (try row.decode(Int.self, "id"), try row.decode(Int.self, "revision"))
    }

    /// True when one of `tasks` is due within ``wakeHorizon`` of `now`.
    static func wakesWorkers(_ tasks: [PlannedTask], now: Date) -> Bool {
        let horizon = now.addingTimeInterval(TimeInterval(wakeHorizon.components.seconds))
        return tasks.contains { $0.runAt <= horizon }
    }

    /// Inserts the tasks of a new item's first stage visit and wakes the workers when one is due soon.
    private func schedule(
        _ stage: StageDefinition, of definition: WorkflowDefinition, item: Int, visit: Int, data: [String: String],
        at now: Date, on db: PostgresConnection
    ) async throws {
        let tasks = StageSchedule.tasks(for: stage, in: definition, enteredAt: now, data: data)
        guard !tasks.isEmpty else { return }
        let rows = tasks.map { task -> PostgresQuery in
            let key = "item-\(item)-visit-\(visit)-\(task.kind.rawValue)-\(task.transition ?? String(task.sequence))"
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
        try await pool.transaction(retry: .resilient) { db in
            let locked = try await lockItem(id, on: db)
            let definition = try await definitions.definition(locked.workflow, version: locked.version, on: db)
            _ = try await actingRole(handle, on: locked, definition: definition, db: db)
            try await db.execute(
                "insert into comments (item_id, actor, body, at) values (\(id), \(handle), \(body), \(now))")
            try await db.execute("update items set last_activity_at = \(now), updated_at = \(now) where id = \(id)")
        }
    }

    /// Gives `handle` the role `role` on the item; recorded in history.
    public func assign(item id: Int, role: String, to handle: String, actor: String) async throws -> HistoryEntry {
        let now = time.now()
        let entryID = try await pool.transaction(retry: .resilient) { db in
            let locked = try await lockItem(id, on: db)
            let definition = try await definitions.definition(locked.workflow, version: locked.version, on: db)
            guard let declared = definition.role(role) else {
                throw PodiumError(
                    .refused, "\(locked.workflow) has no role \(role)",
                    hint: "its roles: \(definition.roles.map(\.name).joined(separator: ", "))")
            }
            let actingAs = try await actingRole(actor, on: locked, definition: definition, db: db)
            _ = try await ActorStore.find(handle, on: db)
            let holders = try await db.query("select actor from participants where item_id = \(id) and role = \(role)")
                .map { try $0.decode(String.self, "actor") }
            guard !holders.contains(handle) else {
                throw PodiumError(.refused, "\(handle) is already a \(role) on item \(id)")
            }
            if let limit = declared.maxPerItem, holders.count >= limit {
                throw PodiumError(
                    .refused, "item \(id) already has \(holders.count) \(role) (at most \(limit))",
                    hint: "an operator can replace one with podium item assign after removing the other")
            }
            try await db.execute("insert into participants (item_id, role, actor) values (\(id), \(role), \(handle))")
            let entry = try await db.query(
                """
                insert into history (item_id, kind, from_stage, to_stage, actor, role, comment, data_change, at)
                values (\(id), 'assign', \(locked.stage), \(locked.stage), \(actor), \(actingAs),
                        \("\(handle) is now a \(role)"), \(PostgresJSON(["assigned": "\(role)=\(handle)"])), \(now))
                returning id
                """)
            try await db.execute(
                "update items set revision = revision + 1, last_activity_at = \(now), updated_at = \(now) where id = \(id)"
            )
            return try entry.single().decode(Int.self, "id")
        }
        guard let entry = try await history(id).first(where: { $0.id == entryID }) else {
            throw PodiumError(.notFound, "history entry \(entryID) vanished")
        }
        return entry
    }

    /// The role `handle` acts in on this item: a participant's role, or a global role the workflow declares.
    private func actingRole(
        _ handle: String, on locked: LockedItem, definition: WorkflowDefinition, db: PostgresConnection
    ) async throws -> String {
        let actor = try await ActorStore.find(handle, on: db)
        let held = try await db.query(
            "select role from participants where item_id = \(locked.id) and actor = \(handle) order by role")
        if let role = held.first { return try role.decode(String.self, "role") }
        if let role = definition.roles.map(\.name).first(where: actor.roles.contains) { return role }
        throw PodiumError(
            .refused, "\(handle) takes no part in item \(locked.id)",
            hint: "add them with podium item assign \(locked.id) ROLE=\(handle) --as SOMEONE_WHO_DOES")
    }

    // MARK: Reading the item inside a transaction

    struct LockedItem {
        let id: Int
        let workflow: String
        let version: Int
        let stage: String
        let data: [String: String]
        let revision: Int
        let visit: Int
        let stageEnteredAt: Date
        let isClosed: Bool
    }

    func lockItem(_ id: Int, on db: isolated PostgresConnection) throws -> LockedItem {
        let rows = try db.query(
            """
            select id, workflow, version, stage, data::text as data, revision, visit_id, stage_entered_at,
                   closed_at is not null as closed
              from items where id = \(id) for update
            """)
        guard let row = rows.first else {
            throw PodiumError(.notFound, "no item \(id)", hint: "podium item list shows the items")
        }
        return LockedItem(
            id: id, workflow: try row.decode(String.self, "workflow"), version: try row.decode(Int.self, "version"),
            stage: try row.decode(String.self, "stage"), data: try Self.decodeData(try row.decode(String.self, "data")),
            revision: try row.decode(Int.self, "revision"), visit: try row.decode(Int.self, "visit_id"),
            stageEnteredAt: try row.decode(Date.self, "stage_entered_at"), isClosed: try row.decode(Bool.self, "closed")
        )
    }

    static func decodeData(_ text: String) throws -> [String: String] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        return object.mapValues { value in (value as? String) ?? "\(value)" }
    }
}
