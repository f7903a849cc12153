public import Foundation
public import LibPQ
public import WorkflowEngine

/// A task claimed by a worker, leased until `leaseUntil`.
public struct ClaimedTask: Sendable {
    public let id: Int
    /// The item; nil for a digest, which is a person's.
    public let itemID: Int?
    public let kind: PlannedTask.Kind
    public let stage: String
    public let transition: String?
    public let recipientRole: String?
    public let label: String
    public let runAt: Date
    public let attempts: Int
    public let maxAttempts: Int
    public let idempotencyKey: String
    /// A digest's person; nil for every other kind.
    public var recipient: String? = nil
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

    /// Locks up to `limit` due tasks, oldest first, until the transaction on `db` ends
    /// (`FOR UPDATE SKIP LOCKED`), without leasing them: when the worker or its connection dies
    /// the transaction rolls back and the tasks are free again at once. Each task's `attempts` is
    /// the attempt about to be made; ``finishLocked(deliveries:done:obsolete:now:on:)`` or
    /// ``lease(_:now:on:)`` records it.
    public func lockDue(limit: Int, now: Date, on db: PostgresConnection) async throws -> [ClaimedTask] {
        let rows = try await db.query(
            """
            select id, item_id, recipient, kind, stage, transition, recipient_role, label, run_at,
                   attempts + 1 as attempts, max_attempts, idempotency_key
              from tasks
             where status = \(TaskStatus.pending.sql) and run_at <= \(now)
             order by run_at, id
             limit \(limit)
               for update skip locked
            """)
        return try rows.map { row in
            ClaimedTask(
                id: try row.decode(Int.self, "id"), itemID: try row.decode(Int?.self, "item_id"),
                kind: try Self.kind(row.decode(String.self, "kind")), stage: try row.decode(String.self, "stage"),
                transition: try row.decode(String?.self, "transition"),
                recipientRole: try row.decode(String?.self, "recipient_role"),
                label: try row.decode(String.self, "label"),
                runAt: try row.decode(Date.self, "run_at"), attempts: try row.decode(Int.self, "attempts"),
                maxAttempts: try row.decode(Int.self, "max_attempts"),
                idempotencyKey: try row.decode(String.self, "idempotency_key"),
                recipient: try row.decode(String?.self, "recipient"))
        }
    }

    /// Leases tasks locked by ``lockDue(limit:now:on:)`` for work done after the transaction
    /// commits (timers, one-at-a-time channels, retries, holds): `running`, with this queue's
    /// lease, the attempt counted. A worker that dies holding a lease loses the tasks only until
    /// the lease runs out (``rescueExpiredLeases(now:)``).
    public func lease(_ ids: [Int], now: Date, on db: PostgresConnection) async throws {
        guard !ids.isEmpty else { return }
        try await db.execute(
            """
            update tasks
               set status = \(TaskStatus.running.sql), lease_owner = \(owner), lease_until = \(now.addingTimeInterval(leaseSeconds)),
                   attempts = attempts + 1
             where id = any(\(ids)::bigint[])
            """)
    }

    /// Records deliveries made inside the transaction that locked the tasks, marks the `done`
    /// ones done and the `obsolete` ones cancelled, counting the attempt, in one statement.
    public func finishLocked(
        deliveries: [DeliveryRecord], diverted: [DigestDiversion] = [], done: [Int], obsolete: [Int], now: Date,
        on db: PostgresConnection
    ) async throws {
        guard
            let statement = Self.closing(
                deliveries, diverted: diverted, digested: [], done: done, obsolete: obsolete, at: now,
                also: "attempts = attempts + 1", ifStill: "status = \(TaskStatus.pending.sql)")
        else { return }
        try await db.execute(statement)
    }

    /// A timer whose transition fired: done even if the transition's own task cancellation got there first.
    public func completeTimer(_ id: Int, now: Date) async throws {
        try await pool.execute(
            """
            update tasks set status = \(TaskStatus.done.sql), finished_at = \(now), lease_owner = null, lease_until = null
             where id = \(id) and status in \(TaskStatus.list([.running, .cancelled]))
            """)
    }

    /// Puts a held task back to wait, e.g. until its recipients' working hours; the claim did not count.
    public func hold(_ id: Int, until: Date) async throws {
        try await pool.execute(
            """
            update tasks set status = \(TaskStatus.pending.sql), run_at = \(until), attempts = greatest(attempts - 1, 0),
                             lease_owner = null, lease_until = null
             where id = \(id) and status = \(TaskStatus.running.sql) and lease_owner = \(owner)
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
               set status = \(dead ? TaskStatus.dead.sql : TaskStatus.pending.sql), run_at = \(dead ? task.runAt : retryAt),
                   last_error = \(String(error.prefix(2000))), lease_owner = null, lease_until = null,
                   finished_at = \(dead ? now : nil)
             where id = \(task.id) and status = \(TaskStatus.running.sql) and lease_owner = \(owner)
            """)
        return dead
    }

    /// Extends the leases this worker holds on `ids` while it is still working on them.
    public func renew(_ ids: [Int], now: Date) async throws {
        guard !ids.isEmpty else { return }
        try await pool.execute(
            """
            update tasks set lease_until = \(now.addingTimeInterval(leaseSeconds))
             where id = any(\(ids)::bigint[]) and status = \(TaskStatus.running.sql) and lease_owner = \(owner)
            """)
    }

    /// The longest lease a worker may take (`podium worker --lease-seconds`): a lease that ends
    /// later than this from now was taken by a worker whose clock runs ahead, and is taken back.
    public static let longestLease: TimeInterval = 86_400

    /// Returns tasks and outbound events whose lease expired (their worker died) to the queue,
    /// and those leased beyond ``longestLease`` from `now` (by a worker whose clock ran days
    /// ahead: they would otherwise wait until that day); an outbound event whose retry such a
    /// worker put days ahead is due again now (an event is never meant to wait longer than its
    /// backoff, an hour at most, unlike a reminder). Returns how many.
    @discardableResult
    public func rescueExpiredLeases(now: Date) async throws -> Int {
        let skewed = now.addingTimeInterval(Self.longestLease)
        return try await pool.query(
            """
            with tasks as (
                update tasks set status = \(TaskStatus.pending.sql), lease_owner = null, lease_until = null
                 where status = \(TaskStatus.running.sql) and (lease_until < \(now) or lease_until > \(skewed))
                returning 1
            ), events as (
                update event_outbox set status = 'pending', lease_owner = null, lease_until = null
                 where status = 'running' and (lease_until < \(now) or lease_until > \(skewed))
                returning 1
            ), retries as (
                update event_outbox set run_at = \(now)
                 where status = 'pending' and run_at > \(skewed)
                returning 1
            )
            select (select count(*) from tasks) + (select count(*) from events) + (select count(*) from retries)
                   as rescued
            """
        ).single().decode(Int.self, "rescued")
    }

    /// When the next pending task or outbound event is due, if any.
    public func nextDue() async throws -> Date? {
        try await pool.query(
            """
            select least((select min(run_at) from tasks where status = \(TaskStatus.pending.sql)),
                         (select min(run_at) from event_outbox where status = 'pending')) as next
            """
        ).single().decode(Date?.self, "next")
    }

    /// Records delivery attempts, marks `done` tasks done and `obsolete` ones (their item moved on
    /// or closed) cancelled, in one statement.
    ///
    /// `diverted` reminders go to their recipients' digests (each recorded as reaching them on
    /// the `digest` channel, and the digest task made unless it exists); `digested` digest
    /// entries are marked sent, in the same statement as the digest task that carried them.
    public func finish(
        deliveries: [DeliveryRecord], diverted: [DigestDiversion] = [], digested: [Int] = [], done: [Int],
        obsolete: [Int] = [], now: Date
    ) async throws {
        guard
            let statement = Self.closing(
                deliveries, diverted: diverted, digested: digested, done: done, obsolete: obsolete, at: now,
                also: "lease_owner = null, lease_until = null",
                ifStill: "status = \(TaskStatus.running.sql) and lease_owner = \(owner)")
        else { return }
        try await pool.execute(statement)
    }
}

extension TaskQueue {
    /// One statement that records `deliveries` and closes tasks: `done` ones done, `obsolete`
    /// ones cancelled, setting `also` too, only where `ifStill` holds. Nil when there is nothing
    /// to write.
    private static func closing(
        _ deliveries: [DeliveryRecord], diverted: [DigestDiversion], digested: [Int], done: [Int], obsolete: [Int],
        at now: Date, also: PostgresQuery, ifStill guarded: PostgresQuery
    ) -> PostgresQuery? {
        guard !deliveries.isEmpty || !diverted.isEmpty || !done.isEmpty || !obsolete.isEmpty else { return nil }
        let deliveries =
            deliveries
            + diverted.map {
                DeliveryRecord(
                    taskID: $0.taskID, attempt: $0.attempt, channel: "digest", recipient: $0.recipient,
                    key: $0.digestKey, error: nil)
            }
        return """
            with entered as (
                insert into digest_entries (recipient, task_id, created_at)
                select r, t, \(now) from unnest(\(diverted.map(\.recipient))::text[], \(diverted.map(\.taskID))::bigint[]) as d(r, t)
                on conflict do nothing
            ), digests as (
                insert into tasks (kind, recipient, stage, run_at, idempotency_key, label, created_at)
                select distinct on (k) 'digest', r, '', at, k, 'daily digest', \(now)
                  from unnest(\(diverted.map(\.recipient))::text[], \(diverted.map { DataDate.format($0.slot) })::text[]::timestamptz[],
                              \(diverted.map(\.digestKey))::text[]) as d(r, at, k)
                on conflict (idempotency_key) do nothing
            ), sent as (
                update digest_entries set sent_at = \(now) where id = any(\(digested)::bigint[]) and sent_at is null
            ), recorded as (
                insert into deliveries (task_id, attempt, channel, recipient, idempotency_key, status, error, at)
                select d.task_id, d.attempt, d.channel, d.recipient, d.key,
                       case when d.error = '' then 'delivered' else 'failed' end, nullif(d.error, ''), \(now)
                  from unnest(\(deliveries.map(\.taskID))::bigint[], \(deliveries.map(\.attempt))::int[],
                              \(deliveries.map(\.channel))::text[], \(deliveries.map(\.recipient))::text[],
                              \(deliveries.map(\.key))::text[], \(deliveries.map(errorText))::text[])
                       as d(task_id, attempt, channel, recipient, key, error)
            )
            update tasks
               set status = case when id = any(\(done)::bigint[]) then \(TaskStatus.done.sql) else \(TaskStatus.cancelled.sql) end,
                   finished_at = \(now), last_error = null, \(also)
             where id = any(\(done + obsolete)::bigint[]) and \(guarded)
            """
    }

    /// A delivery's error as the batch insert carries it: empty when delivered, never empty otherwise.
    /// A kind as the table spells it; the check constraint allows no other.
    private static func kind(_ text: String) throws -> PlannedTask.Kind {
        guard let kind = PlannedTask.Kind(rawValue: text) else {
            throw PostgresError(kind: .decoding, message: "unknown task kind \(text)")
        }
        return kind
    }

    fileprivate static func errorText(_ record: DeliveryRecord) -> String {
        guard let error = record.error else { return "" }
        return error.isEmpty ? "failed without a reason" : String(error.prefix(2000))
    }
}

/// A reminder held for its recipient's daily digest instead of being sent now.
public struct DigestDiversion: Sendable {
    public let taskID: Int
    public let attempt: Int
    public let recipient: String
    /// When the digest that will carry it goes out.
    public let slot: Date

    public init(taskID: Int, attempt: Int, recipient: String, slot: Date) {
        self.taskID = taskID
        self.attempt = attempt
        self.recipient = recipient
        self.slot = slot
    }

    /// The digest task's idempotency key: one digest per person per slot.
    public var digestKey: String { "digest-\(recipient)-\(DataDate.format(slot))" }
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
