public import LibPQ
public import WorkflowEngine

/// Where a task stands in the queue. The database's `tasks_status_check` allows exactly these.
public enum TaskStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for its `run_at`, or for a retry.
    case pending
    /// Leased by a worker until `lease_until`.
    case running
    /// Carried out.
    case done
    /// Failed `max_attempts` times; an operator may retry or cancel it.
    case dead
    /// Retired: its item moved on or closed, or an operator cancelled it.
    case cancelled

    /// The status as an SQL literal (`'pending'`). Statements spell statuses as literals, not
    /// bound values, so the planner can match the partial indexes built on them
    /// (`where status = 'pending'`); a parameter would hide the value from it.
    public var sql: PostgresQuery { PostgresQuery(stringLiteral: "'\(rawValue)'") }

    /// The statuses of a task that will still run.
    public static let stillToRun: [TaskStatus] = [.pending, .running]

    /// `('pending', 'running')`: ``stillToRun`` as an SQL list, for `status in ...`.
    public static let stillToRunSQL = list(stillToRun)

    /// `statuses` as an SQL list of literals, `('a', 'b')`.
    public static func list(_ statuses: [TaskStatus]) -> PostgresQuery {
        PostgresQuery(stringLiteral: "(" + statuses.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")")
    }
}

extension PlannedTask.Kind {
    /// The kind as an SQL literal (`'timer'`), for the same reason as ``TaskStatus/sql``.
    public var sql: PostgresQuery { PostgresQuery(stringLiteral: "'\(rawValue)'") }
}
