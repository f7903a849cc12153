public import LibPQ
internal import WorkflowEngine

/// Invariants that must hold whatever happened: crashes, killed connections, retries.
/// `podium check` runs them; tests run them after trying to break things.
public struct ConsistencyCheck: Sendable {
    /// One broken invariant, with the rows that break it.
    public struct Violation: Sendable, Codable, CustomStringConvertible {
        public let invariant: String
        /// What `ids` identify: `items` for most invariants, `deliveries` for orphan records.
        public let subject: String
        public let ids: [Int]
        public var description: String {
            "\(invariant): \(subject) \(ids.prefix(20).map(String.init).joined(separator: ", "))"
        }
    }

    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    public func run() async throws -> [Violation] {
        let checks: [(String, PostgresQuery)] = [
            (
                "an item's stage differs from the stage its history ends in",
                """
                select i.id from items i
                  join lateral (select to_stage from history h where h.item_id = i.id and h.kind = any(\(HistoryKind.visitStarting))
                                 order by h.id desc limit 1) last on true
                 where last.to_stage <> i.stage
                """
            ),
            (
                "an item's visit is not its latest stage-changing history row",
                """
                select i.id from items i
                 where i.visit_id is distinct from (select max(h.id) from history h
                                                     where h.item_id = i.id and h.kind = any(\(HistoryKind.visitStarting)))
                """
            ),
            (
                "a closed item has open tasks",
                "select distinct t.item_id from tasks t join items i on i.id = t.item_id where i.closed_at is not null and t.status in \(TaskStatus.stillToRunSQL)"
            ),
            (
                "an open task belongs to an earlier visit of its item",
                "select distinct t.item_id from tasks t join items i on i.id = t.item_id where t.status in \(TaskStatus.stillToRunSQL) and t.visit_id <> i.visit_id"
            ),
            (
                "a task's visit is not a history row of its item",
                """
                select distinct t.item_id from tasks t
                 where t.item_id is not null  -- a digest is a person's, of no item
                   and not exists (select 1 from history h where h.id = t.visit_id and h.item_id = t.item_id)
                """
            ),
            (
                "an item has no history",
                "select i.id from items i where not exists (select 1 from history h where h.item_id = i.id)"
            ),
            (
                "a history row has no actor or no role",
                "select distinct h.item_id from history h where coalesce(h.actor, '') = '' or coalesce(h.role, '') = ''"
            ),
            (
                "a reminder or escalation is done but no message of it was delivered",
                """
                select distinct t.item_id from tasks t
                 where t.status = \(TaskStatus.done.sql) and t.kind in (\(PlannedTask.Kind.reminder.sql), \(PlannedTask.Kind.escalation.sql))
                   and not exists (select 1 from deliveries d where d.task_id = t.id and d.status = 'delivered')
                """
            ),
            (
                "a task is dead without a reason",
                "select distinct t.item_id from tasks t where t.status = \(TaskStatus.dead.sql) and coalesce(t.last_error, '') = '' and t.item_id is not null"
            ),
        ]
        // Deliveries have no foreign keys (SQL/007): the worker writes each one in the statement
        // that closes its task, for a recipient it has just read.
        let deliveryChecks: [(String, PostgresQuery)] = [
            (
                "a delivery's task does not exist",
                "select d.id from deliveries d where not exists (select 1 from tasks t where t.id = d.task_id)"
            ),
            (
                "a delivery's recipient is not an actor",
                "select d.id from deliveries d where not exists (select 1 from actors a where a.handle = d.recipient)"
            ),
        ]
        var violations: [Violation] = []
        for (subject, list) in [("items", checks), ("deliveries", deliveryChecks)] {
            for (invariant, query) in list {
                let ids = try await pool.query(query + " limit 1000").map { try $0.decode(Int.self, at: 0) }
                if !ids.isEmpty {
                    violations.append(Violation(invariant: invariant, subject: subject, ids: ids.sorted()))
                }
            }
        }
        return violations
    }
}
