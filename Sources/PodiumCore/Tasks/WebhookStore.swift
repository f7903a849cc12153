public import Foundation
public import LibPQ
internal import WorkflowEngine

/// A subscription: history entries of the kinds and workflow it names are posted to its URL.
public struct Webhook: Sendable, Codable {
    public let id: Int
    public let url: String
    /// The history kinds it receives (`create`, `transition`, `approval`, ...); nil for all.
    public let events: [String]?
    /// The workflow it is limited to, or nil for all.
    public let workflow: String?
    public let createdBy: String
    public let createdAt: Date
    /// Events waiting to be delivered, and those given up (`dead`) after their last attempt.
    public let pending: Int
    public let dead: Int

    enum CodingKeys: String, CodingKey {
        case id, url, events, workflow, pending, dead
        case createdBy = "created_by"
        case createdAt = "created_at"
    }
}

/// Adds, lists and removes webhook subscriptions; the program's operators (a community manager or
/// an admin, ``TaskAdmin/operatorRoles``) may, by any door.
public struct WebhookStore: Sendable {
    let pool: PostgresPool
    let time: any TimeSource

    public init(pool: PostgresPool, time: any TimeSource = SystemTime()) {
        self.pool = pool
        self.time = time
    }

    /// Subscribes `url` (http or https) to the history kinds `events` (all when empty) of
    /// `workflow` (all when nil), as `author`.
    ///
    /// - Throws: ``PodiumError`` `.usage` for another URL scheme or an unknown kind, `.refused`
    ///   for someone who is not an operator, `.notFound` for an unknown author or workflow.
    public func add(url: String, events: [String], workflow: String?, by author: String) async throws -> Webhook {
        guard case .webhook = try DeliveryChannel(spec: "webhook:\(url)") else {
            throw PodiumError(.usage, "\(url) is not an http(s) URL", reason: "url")
        }
        let kinds = Set(HistoryKind.allCases.map(\.rawValue))
        if let unknown = events.first(where: { !kinds.contains($0) }) {
            throw PodiumError(
                .usage, "no event kind \(unknown)", hint: "the kinds: \(kinds.sorted().joined(separator: ", "))",
                reason: "event_kind")
        }
        let now = time.now()
        return try await pool.transaction(retry: .resilient) { db in
            _ = try await TaskAdmin.requireOperator(author, to: "change webhooks", on: db)
            if let workflow {
                let known = try await db.query("select 1 from workflow_versions where workflow = \(workflow) limit 1")
                guard !known.rows.isEmpty else {
                    throw PodiumError(.notFound, "no workflow \(workflow)", reason: "workflow")
                }
            }
            let rows = try await db.query(
                """
                insert into webhooks (url, events, workflow, created_by, created_at)
                values (\(url), \(events.isEmpty ? nil : events), \(workflow), \(author), \(now))
                returning id
                """)
            let id = try rows.single().decode(Int.self, "id")
            return try await Self.list(on: db).first { $0.id == id }!
        }
    }

    /// The subscriptions in force, with their pending and dead events.
    public func list() async throws -> [Webhook] {
        try await pool.withConnection { try await Self.list(on: $0) }
    }

    /// Ends subscription `id`; its events already in the outbox are still delivered.
    public func remove(_ id: Int, by author: String) async throws {
        let now = time.now()
        try await pool.transaction(retry: .resilient) { db in
            _ = try await TaskAdmin.requireOperator(author, to: "change webhooks", on: db)
            let changed = try await db.execute(
                "update webhooks set removed_at = \(now) where id = \(id) and removed_at is null")
            guard changed == 1 else {
                throw PodiumError(.notFound, "no webhook #\(id)", reason: "webhook", details: ["webhook": "\(id)"])
            }
        }
    }

    /// Puts the events of webhook `id` that were given up (`dead`) back in the outbox with fresh
    /// attempts, due now, once the receiver is fixed; returns how many. `dryRun` only counts them.
    public func retryDead(_ id: Int, by author: String, dryRun: Bool) async throws -> Int {
        let now = time.now()
        return try await pool.transaction(retry: .resilient) { db in
            _ = try await TaskAdmin.requireOperator(author, to: "change webhooks", on: db)
            let known = try await db.query("select 1 from webhooks where id = \(id)")
            guard !known.rows.isEmpty else {
                throw PodiumError(.notFound, "no webhook #\(id)", reason: "webhook", details: ["webhook": "\(id)"])
            }
            if dryRun {
                return try await db.query(
                    "select count(*) as n from event_outbox where webhook_id = \(id) and status = 'dead'"
                ).single().decode(Int.self, "n")
            }
            return try await db.execute(
                """
                update event_outbox set status = 'pending', attempts = 0, run_at = \(now), finished_at = null
                 where webhook_id = \(id) and status = 'dead'
                """)
        }
    }

    private static func list(on db: PostgresConnection) async throws -> [Webhook] {
        try await db.query(
            """
            select w.id, w.url, w.events, w.workflow, w.created_by, w.created_at,
                   (select count(*) from event_outbox o where o.webhook_id = w.id and o.status in ('pending', 'running')) as pending,
                   (select count(*) from event_outbox o where o.webhook_id = w.id and o.status = 'dead') as dead
              from webhooks w
             where w.removed_at is null
             order by w.id
            """
        ).map { row in
            Webhook(
                id: try row.decode(Int.self, "id"), url: try row.decode(String.self, "url"),
                events: try row.decode([String]?.self, "events"), workflow: try row.decode(String?.self, "workflow"),
                createdBy: try row.decode(String.self, "created_by"),
                createdAt: try row.decode(Date.self, "created_at"),
                pending: try row.decode(Int.self, "pending"), dead: try row.decode(Int.self, "dead"))
        }
    }
}
