public import Foundation
public import LibPQ
internal import WorkflowEngine

/// A task as operators see it.
public struct TaskRecord: Sendable, Codable {
    public let id: Int
    /// The item; nil for a daily digest, which is a person's (``recipient``).
    public let itemID: Int?
    public let recipient: String?
    public let kind: String
    public let label: String
    public let stage: String
    public let status: String
    public let runAt: Date
    public let attempts: Int
    public let maxAttempts: Int
    public let lastError: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, label, stage, status, attempts, recipient
        case itemID = "item_id"
        case runAt = "run_at"
        case maxAttempts = "max_attempts"
        case lastError = "last_error"
    }
}

/// Lists, retries and cancels tasks. Bulk actions take a dry run that changes nothing.
public struct TaskAdmin: Sendable {
    /// The statuses a task can have.
    public static let statuses = TaskStatus.allCases.map(\.rawValue)

    /// The global roles that may retry and cancel tasks, in the order one is recorded as acting.
    public static let operatorRoles = [ActorIdentity.adminRole, "community_manager"]

    let pool: PostgresPool
    let time: any TimeSource
    /// The door recorded in the history entries of fixes.
    let door: Door

    public init(pool: PostgresPool, time: any TimeSource = SystemTime(), door: Door) {
        self.pool = pool
        self.time = time
        self.door = door
    }

    /// The queue's backlog now: tasks due and not finished (pending and due, or running), and how
    /// long the oldest of them has been due, in seconds (0 when none is).
    public func backlog() async throws -> (due: Int, oldestAgeSeconds: Double) {
        let now = time.now()
        let row = try await pool.query(
            """
            select count(*) as due, coalesce(extract(epoch from \(now) - min(run_at))::float8, 0) as age
              from tasks
             where status in \(TaskStatus.stillToRunSQL) and run_at <= \(now)
            """
        ).single()
        return (try row.decode(Int.self, "due"), max(0, try row.decode(Double.self, "age")))
    }

    /// The role `handle` acts in as one of those who run the programs (``operatorRoles``), for
    /// what only they may do by any door: fix tasks, change webhooks, record engagement.
    ///
    /// - Throws: ``PodiumError`` `.notFound` for an unknown handle, `.refused`
    ///   (`not_permitted`) naming `action` for anyone else.
    static func requireOperator(_ handle: String, to action: String, on db: PostgresConnection) async throws
        -> String
    {
        let person = try await ActorStore.find(handle, on: db)
        guard let role = operatorRoles.first(where: person.roles.contains) else {
            throw PodiumError(
                .refused, "\(handle) may not \(action); a community manager or an admin may",
                reason: "not_permitted", details: ["handle": handle])
        }
        return role
    }

    /// Tasks, most recent first; all of them or those with one status.
    public func list(status: String? = nil, item: Int? = nil, limit: Int = 500) async throws -> [TaskRecord] {
        if let status, !Self.statuses.contains(status) {
            throw PodiumError(.usage, "no task status \(status)", hint: "use \(Self.statuses.joined(separator: ", "))")
        }
        return try await pool.query(
            """
            select id, item_id, recipient, kind, label, stage, status, run_at, attempts, max_attempts, last_error from tasks
             where (\(status)::text is null or status = \(status)) and (\(item)::bigint is null or item_id = \(item))
             order by id desc limit \(limit)
            """
        ).map(Self.record)
    }

    /// Puts dead tasks back in the queue with fresh attempts, due now; each is recorded in its
    /// item's history with the operator and the reason. With `dryRun`, only says which.
    ///
    /// Only tasks of their item's current stage visit come back: a reminder for a stage the item
    /// has left (or a visit it has since repeated) would go to the wrong people, and the next
    /// transition, which retires the current visit's tasks, would never retire it.
    public func retry(ids: [Int]?, actor: String, reason: String, dryRun: Bool) async throws -> [TaskRecord] {
        try await change(
            ids: ids, from: [.dead], verb: "retried", actor: actor, reason: reason, dryRun: dryRun,
            onlyCurrentVisits: true,
            update: "status = \(TaskStatus.pending.sql), attempts = 0, run_at = \(time.now()), finished_at = null")
    }

    /// Cancels pending or dead tasks, recorded like retries. With `dryRun`, only says which.
    public func cancel(ids: [Int], actor: String, reason: String, dryRun: Bool) async throws -> [TaskRecord] {
        try await change(
            ids: ids, from: [.pending, .dead], verb: "cancelled", actor: actor, reason: reason, dryRun: dryRun,
            onlyCurrentVisits: false, update: "status = \(TaskStatus.cancelled.sql), finished_at = \(time.now())")
    }

    private func change(
        ids: [Int]?, from statuses: [TaskStatus], verb: String, actor: String, reason: String, dryRun: Bool,
        onlyCurrentVisits: Bool, update: PostgresQuery
    ) async throws -> [TaskRecord] {
        let reason = try InputLimits.text(reason, what: "reason", limit: InputLimits.commentLength)
        let now = time.now()
        return try await pool.transaction { db in
            // Reminders and escalations are the program's, not one person's: only those who run
            // it retry or cancel them, by any door.
            let operatorRole = try await Self.requireOperator(
                actor, to: "\(verb == "retried" ? "retry" : "cancel") tasks", on: db)
            let rows = try await db.query(
                """
                select t.id, t.item_id, t.recipient, t.kind, t.label, t.stage, t.status, t.run_at, t.attempts, t.max_attempts,
                       t.last_error, i.visit_id is distinct from t.visit_id or i.closed_at is not null as left_behind
                  from tasks t left join items i on i.id = t.item_id
                 where t.status in \(TaskStatus.list(statuses))
                   and (\(ids == nil) or t.id = any(\(ids ?? [])::bigint[]))
                 order by t.id for update of t
                """
            )
            let candidates = try rows.map { row in
                (
                    task: try Self.record(row),
                    leftBehind: try onlyCurrentVisits && row.decode(Bool.self, "left_behind")
                )
            }
            if let ids {
                let found = Set(candidates.map(\.task.id))
                for id in ids where !found.contains(id) {
                    throw PodiumError(
                        .refused,
                        "task \(id) does not exist or is not \(statuses.map(\.rawValue).joined(separator: " or "))",
                        hint: "list the tasks to see which exist and where they stand", reason: "task")
                }
                if let task = candidates.first(where: \.leftBehind)?.task {
                    throw PodiumError(
                        .refused,
                        "task \(task.id) is for a stage visit item \(task.itemID ?? 0) has left; it cannot be \(verb)",
                        hint: "look at the item's current tasks instead", reason: "task_left_behind",
                        details: ["item": "\(task.itemID ?? 0)"])
                }
            }
            let selected = candidates.filter { !$0.leftBehind }.map(\.task)
            // A dry run shows the tasks as they stand; a change shows them as it left them.
            var result = selected
            if !dryRun && !selected.isEmpty {
                result = try await db.query(
                    """
                    update tasks set \(update) where id = any(\(selected.map(\.id))::bigint[])
                    returning id, item_id, recipient, kind, label, stage, status, run_at, attempts, max_attempts, last_error
                    """
                ).map(Self.record).sorted { $0.id < $1.id }
                for task in selected {
                    try await db.execute(
                        """
                        insert into history (item_id, kind, from_stage, to_stage, actor, role, comment, via, at)
                        select id, \(HistoryKind.task.rawValue), stage, stage, \(actor), \(operatorRole),
                               \("\(verb) \(task.kind) \"\(task.label)\" (task \(task.id)): \(reason)"), \(door.rawValue),
                               \(now)
                          from items where id = \(task.itemID)
                        """)
                }
                try await db.execute("select pg_notify(\(ItemEngine.taskChannel), 'retry')")
            }
            return result
        }
    }

    static func record(_ row: PostgresRow) throws -> TaskRecord {
        TaskRecord(
            id: try row.decode(Int.self, "id"), itemID: try row.decode(Int?.self, "item_id"),
            recipient: row["recipient"],
            kind: try row.decode(String.self, "kind"), label: try row.decode(String.self, "label"),
            stage: try row.decode(String.self, "stage"), status: try row.decode(String.self, "status"),
            runAt: try row.decode(Date.self, "run_at"), attempts: try row.decode(Int.self, "attempts"),
            maxAttempts: try row.decode(Int.self, "max_attempts"), lastError: try row.decode(String?.self, "last_error")
        )
    }
}
