public import Foundation
public import LibPQ

/// A task claimed by a worker, leased until `leaseUntil`.
public struct ClaimedTask: Sendable {
    public let id: Int
    public let itemID: Int
    public let kind: String
    public let stage: String
    public let transition: String?
    public let recipientRole: String?
    public let label: String
    public let runAt: Date
    public let attempts: Int
    public let maxAttempts: Int
    public let idempotencyKey: String
}

/// The SQL side of the worker: claiming with `FOR UPDATE SKIP LOCKED` and a lease, guarded
/// completions ("done if still ours"), retries, dead tasks, lease rescue.
public struct TaskQueue: Sendable {
    let pool: PostgresPool
    /// Who holds the leases this queue takes, e.g. `host:pid:uuid`.
    public let owner: String
    /// How long a claim lasts before another worker may rescue the task.
    public let lease: Duration

    public init(pool: PostgresPool, owner: String, lease: Duration = .seconds(60)) {
        self.pool = pool
        self.owner = owner
        self.lease = lease
    }

    private var leaseSeconds: Double { Double(lease.components.seconds) }

    /// Claims up to `limit` due tasks in one statement.
    public func claim(limit: Int, now: Date) async throws -> [ClaimedTask] {
        let until = now.addingTimeInterval(leaseSeconds)
        let rows = try await pool.query(
            """
            update tasks t
               set status = 'running', lease_owner = \(owner), lease_until = \(until), attempts = t.attempts + 1
             where t.id in (select id from tasks
                             where status = 'pending' and run_at <= \(now)
                             order by run_at, id
                             limit \(limit)
                             for update skip locked)
            returning t.id, t.item_id, t.kind, t.stage, t.transition, t.recipient_role, t.label, t.run_at, t.attempts,
                      t.max_attempts, t.idempotency_key
            """)
        return try rows.map { row in
            ClaimedTask(
                id: try row.decode(Int.self, "id"), itemID: try row.decode(Int.self, "item_id"),
                kind: try row.decode(String.self, "kind"), stage: try row.decode(String.self, "stage"),
                transition: try row.decode(String?.self, "transition"),
                recipientRole: try row.decode(String?.self, "recipient_role"),
                label: try row.decode(String.self, "label"),
                runAt: try row.decode(Date.self, "run_at"), attempts: try row.decode(Int.self, "attempts"),
                maxAttempts: try row.decode(Int.self, "max_attempts"),
                idempotencyKey: try row.decode(String.self, "idempotency_key"))
        }.sorted { ($0.runAt, $0.id) < ($1.runAt, $1.id) }
    }

    /// A timer whose transition fired: done even if the transition's own task cancellation got there first.
    public func completeTimer(_ id: Int, now: Date) async throws {
        try await pool.execute(
            """
            update tasks set status = 'done', finished_at = \(now), lease_owner = null, lease_until = null
             where id = \(id) and status in ('running', 'cancelled')
            """)
    }

    /// Puts a held task back to wait, e.g. until its recipients' working hours; the claim did not count.
    public func hold(_ id: Int, until: Date) async throws {
        try await pool.execute(
            """
            update tasks set status = 'pending', run_at = \(until), attempts = greatest(attempts - 1, 0),
                             lease_owner = null, lease_until = null
             where id = \(id) and status = 'running' and lease_owner = \(owner)
            """)
    }

    /// After a failed attempt: retry at `retryAt`, or dead when the attempts are used up.
    /// Returns true when the task is now dead.
    @discardableResult
    public func fail(_ task: ClaimedTask, error: String, retryAt: Date, now: Date) async throws -> Bool {
        let dead = task.attempts >= task.maxAttempts
        try await pool.execute(
            """
            update tasks
               set status = \(dead ? "dead" : "pending"), run_at = \(dead ? task.runAt : retryAt),
                   last_error = \(String(error.prefix(2000))), lease_owner = null, lease_until = null,
                   finished_at = \(dead ? now : nil)
             where id = \(task.id) and status = 'running' and lease_owner = \(owner)
            """)
        return dead
    }

    /// Extends the leases this worker holds on `ids` while it is still working on them.
    public func renew(_ ids: [Int], now: Date) async throws {
        guard !ids.isEmpty else { return }
        try await pool.execute(
            """
            update tasks set lease_until = \(now.addingTimeInterval(leaseSeconds))
             where id = any(\(ids.map(String.init))::bigint[]) and status = 'running' and lease_owner = \(owner)
            """)
    }

    /// Returns tasks whose lease expired (their worker died) to the queue; returns how many.
    @discardableResult
    public func rescueExpiredLeases(now: Date) async throws -> Int {
        try await pool.execute(
            """
            update tasks set status = 'pending', lease_owner = null, lease_until = null
             where status = 'running' and lease_until < \(now)
            """)
    }

    /// When the next pending task is due, if any.
    public func nextDue() async throws -> Date? {
        try await pool.query("select min(run_at) as next from tasks where status = 'pending'").single()
            .decode(Date?.self, "next")
    }

    /// Records delivery attempts, marks `done` tasks done and `obsolete` ones (their item moved on
    /// or closed) cancelled, in one statement.
    public func finish(deliveries: [DeliveryRecord], done: [Int], obsolete: [Int] = [], now: Date) async throws {
        guard !deliveries.isEmpty || !done.isEmpty || !obsolete.isEmpty else { return }
        try await pool.execute(
            """
            with recorded as (
                insert into deliveries (task_id, attempt, channel, recipient, idempotency_key, status, error, at)
                select d.task_id, d.attempt, d.channel, d.recipient, d.key,
                       case when d.error = '' then 'delivered' else 'failed' end, nullif(d.error, ''), \(now)
                  from unnest(\(deliveries.map { String($0.taskID) })::bigint[], \(deliveries.map { String($0.attempt) })::int[],
                              \(deliveries.map(\.channel))::text[], \(deliveries.map(\.recipient))::text[],
                              \(deliveries.map(\.key))::text[], \(deliveries.map(Self.errorText))::text[])
                       as d(task_id, attempt, channel, recipient, key, error)
            )
            update tasks
               set status = case when id = any(\(done.map(String.init))::bigint[]) then 'done' else 'cancelled' end,
                   finished_at = \(now), lease_owner = null, lease_until = null, last_error = null
             where id = any(\((done + obsolete).map(String.init))::bigint[]) and status = 'running'
               and lease_owner = \(owner)
            """)
    }
}

extension TaskQueue {
    /// A delivery's error as the batch insert carries it: empty when delivered, never empty otherwise.
    fileprivate static func errorText(_ record: DeliveryRecord) -> String {
        guard let error = record.error else { return "" }
        return error.isEmpty ? "failed without a reason" : String(error.prefix(2000))
    }
}

/// One delivery attempt of a task's message to one person; `error` is nil when it was delivered.
public struct DeliveryRecord: Sendable {
    public let taskID: Int
    public let attempt: Int
    public let channel: String
    public let recipient: String
    public let key: String
    public let error: String?

    public init(taskID: Int, attempt: Int, channel: String, recipient: String, key: String, error: String?) {
        self.taskID = taskID
        self.attempt = attempt
        self.channel = channel
        self.recipient = recipient
        self.key = key
        self.error = error
    }
}
