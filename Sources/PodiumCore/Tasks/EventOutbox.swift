public import Foundation
public import LibPQ

/// An event claimed for delivery: one history entry for one webhook.
public struct OutboundEvent: Sendable {
    /// The outbox row.
    public let id: Int
    /// Where it goes.
    public let url: URL
    /// The JSON the receiver gets, the same on every attempt.
    public let payload: Data
    /// This attempt's number, from 1.
    public let attempts: Int
    public let maxAttempts: Int
}

/// The outbox of events (`SQL/014`): claimed with `FOR UPDATE SKIP LOCKED` under a lease, like
/// tasks, so any number of workers share it and a worker that dies hands its events on when the
/// lease runs out. Delivery is at least once; the event id (`evt_<history id>`) lets receivers
/// drop a repeat.
public struct EventOutbox: Sendable {
    let pool: PostgresPool
    /// Who holds the leases this outbox takes.
    public let owner: String
    let lease: Duration

    public init(pool: PostgresPool, owner: String, lease: Duration = .seconds(60)) {
        self.pool = pool
        self.owner = owner
        self.lease = lease
    }

    /// Leases up to `limit` due events, oldest first.
    public func claim(limit: Int, now: Date) async throws -> [OutboundEvent] {
        let rows = try await pool.query(
            """
            update event_outbox o
               set status = 'running', lease_owner = \(owner),
                   lease_until = \(now.addingTimeInterval(Double(lease.components.seconds))), attempts = o.attempts + 1
              from webhooks w
             where w.id = o.webhook_id
               and o.id in (select id from event_outbox
                             where status = 'pending' and run_at <= \(now)
                             order by run_at, id
                             for update skip locked
                             limit \(limit))
            returning o.id, w.url, o.payload::text as payload, o.attempts, o.max_attempts
            """)
        return try rows.map { row in
            let url = try row.decode(String.self, "url")
            guard let address = URL(string: url) else {
                throw PodiumError(.schema, "webhook URL \(url) cannot be read", reason: "webhook")
            }
            return OutboundEvent(
                id: try row.decode(Int.self, "id"), url: address,
                payload: Data(try row.decode(String.self, "payload").utf8),
                attempts: try row.decode(Int.self, "attempts"),
                maxAttempts: try row.decode(Int.self, "max_attempts"))
        }
    }

    /// Marks delivered events done (those this owner still holds).
    public func finish(_ ids: [Int], now: Date) async throws {
        guard !ids.isEmpty else { return }
        try await pool.execute(
            """
            update event_outbox set status = 'done', finished_at = \(now), lease_owner = null, lease_until = null
             where id = any(\(ids)::bigint[]) and status = 'running' and lease_owner = \(owner)
            """)
    }

    /// Puts a failed event back for `retryAt`, or gives it up (`dead`) after its last attempt;
    /// true when it is dead.
    @discardableResult
    public func fail(_ event: OutboundEvent, error: String, retryAt: Date, now: Date) async throws -> Bool {
        let dead = event.attempts >= event.maxAttempts
        try await pool.execute(
            """
            update event_outbox
               set status = \(dead ? "dead" : "pending"), run_at = case when \(dead) then run_at else \(retryAt) end,
                   last_error = \(String(error.prefix(2000))), lease_owner = null, lease_until = null,
                   finished_at = case when \(dead) then \(now) end
             where id = \(event.id) and status = 'running' and lease_owner = \(owner)
            """)
        return dead
    }
}
