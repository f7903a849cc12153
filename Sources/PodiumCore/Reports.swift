public import Foundation
public import LibPQ
import WorkflowEngine
import WorkflowLanguage

/// Engagement before and after an executive started publishing.
public struct ImpactRow: Sendable, Codable {
    /// The executive's handle, or `overall`.
    public let executive: String
    public let startedPublishing: Date?
    public let measurementsBefore: Int
    public let measurementsAfter: Int
    /// Average messages, replies and likes per measurement, before and after.
    public let before: Engagement
    public let after: Engagement
    /// Percentage changes, nil when there is nothing to compare with.
    public let change: Change

    public struct Engagement: Sendable, Codable {
        public let messages: Double
        public let replies: Double
        public let likes: Double
    }

    public struct Change: Sendable, Codable {
        public let messages: Double?
        public let replies: Double?
        public let likes: Double?
    }

    enum CodingKeys: String, CodingKey {
        case executive, before, after, change
        case startedPublishing = "started_publishing"
        case measurementsBefore = "measurements_before"
        case measurementsAfter = "measurements_after"
    }
}

/// Per stage: how many items passed, how long they stayed, how many on time, how much rework.
public struct FlowRow: Sendable, Codable {
    public let workflow: String
    public let stage: String
    /// Visits that ended (the item left the stage).
    public let passed: Int
    public let medianSeconds: Int?
    public let p90Seconds: Int?
    /// Share of ended visits that left by the due time, among those that had one.
    public let onTimeShare: Double?
    /// Visits that came back to this stage (e.g. after request_changes).
    public let rework: Int

    enum CodingKeys: String, CodingKey {
        case workflow, stage, passed, rework
        case medianSeconds = "median_seconds"
        case p90Seconds = "p90_seconds"
        case onTimeShare = "on_time_share"
    }
}

/// Engagement metrics and the reports computed from history and engagement.
public struct Reports: Sendable {
    let pool: PostgresPool
    let time: any TimeSource
    let definitions = DefinitionCache()

    public init(pool: PostgresPool, time: any TimeSource = SystemTime()) {
        self.pool = pool
        self.time = time
    }

    /// Records engagement measured on an item.
    public func recordMetrics(item: Int, messages: Int, replies: Int, likes: Int, at: Date?) async throws {
        guard messages >= 0, replies >= 0, likes >= 0 else {
            throw PodiumError(.usage, "messages, replies and likes are counts and cannot be negative")
        }
        let found = try await pool.query("select 1 from items where id = \(item)")
        guard !found.rows.isEmpty else { throw PodiumError(.notFound, "no item \(item)") }
        try await pool.execute(
            """
            insert into engagement (item_id, messages, replies, likes, measured_at)
            values (\(item), \(messages), \(replies), \(likes), \(at ?? time.now()))
            """)
    }

    /// Engagement before and after each executive first published (the first `publishedTransition`
    /// on an item where they are the executive), per executive and overall, as percentage changes.
    public func impact(since: Date? = nil, publishedTransition: String = "published") async throws -> [ImpactRow] {
        let rows = try await pool.query(
            """
            with starts as (
                select p.actor, min(h.at) as started
                  from participants p join history h on h.item_id = p.item_id
                 where p.role = 'executive' and h.transition = \(publishedTransition)
                 group by p.actor
            )
            select p.actor, s.started, e.messages, e.replies, e.likes, e.measured_at
              from engagement e
              join participants p on p.item_id = e.item_id and p.role = 'executive'
              left join starts s on s.actor = p.actor
             where \(since)::timestamptz is null or e.measured_at >= \(since)
             order by p.actor, e.measured_at
            """)
        var byExecutive: [String: (started: Date?, before: [[Double]], after: [[Double]])] = [:]
        for row in rows {
            let actor = try row.decode(String.self, "actor")
            let started = try row.decode(Date?.self, "started")
            let values = [
                Double(try row.decode(Int.self, "messages")), Double(try row.decode(Int.self, "replies")),
                Double(try row.decode(Int.self, "likes")),
            ]
            var entry = byExecutive[actor] ?? (started, [], [])
            if let started, try row.decode(Date.self, "measured_at") >= started {
                entry.after.append(values)
            } else {
                entry.before.append(values)
            }
            byExecutive[actor] = entry
        }
        var result = byExecutive.keys.sorted().map { actor in
            let entry = byExecutive[actor]!
            return Self.row(actor, started: entry.started, before: entry.before, after: entry.after)
        }
        if !result.isEmpty {
            result.append(
                Self.row(
                    "overall", started: nil, before: byExecutive.values.flatMap(\.before),
                    after: byExecutive.values.flatMap(\.after)))
        }
        return result
    }

    private static func row(_ name: String, started: Date?, before: [[Double]], after: [[Double]]) -> ImpactRow {
        func average(_ rows: [[Double]], _ column: Int) -> Double {
            rows.isEmpty ? 0 : rows.map { $0[column] }.reduce(0, +) / Double(rows.count)
        }
        func change(_ column: Int) -> Double? {
            let old = average(before, column)
            guard !before.isEmpty, !after.isEmpty, old > 0 else { return nil }
            return ((average(after, column) - old) / old * 10_000).rounded() / 100
        }
        return ImpactRow(
            executive: name, startedPublishing: started, measurementsBefore: before.count,
            measurementsAfter: after.count,
            before: .init(messages: average(before, 0), replies: average(before, 1), likes: average(before, 2)),
            after: .init(messages: average(after, 0), replies: average(after, 1), likes: average(after, 2)),
            change: .init(messages: change(0), replies: change(1), likes: change(2)))
    }

    /// Per stage of each workflow: visits that ended, median and p90 time in stage, the share
    /// that left by their due time, and rework (visits that returned to a stage).
    public func flow(workflow: String? = nil, since: Date? = nil) async throws -> [FlowRow] {
        try await pool.withConnection { db in
            let rows = try await db.query(
                """
                select * from (
                    select i.workflow, i.version, i.data::text as data, h.kind, h.to_stage as stage, h.at as entered,
                           lead(h.at) over (partition by h.item_id order by h.id) as left_at,
                           row_number() over (partition by h.item_id, h.to_stage, h.kind = 'cancel' order by h.id) as nth
                      from history h join items i on i.id = h.item_id
                     where h.kind not in ('assign', 'task')
                       and (\(workflow)::text is null or i.workflow = \(workflow))
                ) visits
                 where kind <> 'cancel' and (\(since)::timestamptz is null or entered >= \(since))
                """)
            struct Tally {
                var durations: [Double] = []
                var onTime = 0
                var withDue = 0
                var rework = 0
            }
            var tallies: [String: Tally] = [:]
            for row in rows {
                let workflowName = try row.decode(String.self, "workflow")
                let stageName = try row.decode(String.self, "stage")
                let key = "\(workflowName)\u{1}\(stageName)"
                var tally = tallies[key] ?? Tally()
                if try row.decode(Int.self, "nth") > 1 { tally.rework += 1 }
                if let left = try row.decode(Date?.self, "left_at") {
                    let entered = try row.decode(Date.self, "entered")
                    tally.durations.append(left.timeIntervalSince(entered))
                    let definition = try await definitions.definition(
                        workflowName, version: try row.decode(Int.self, "version"), on: db)
                    if let stage = definition.stage(stageName),
                        let due = StageSchedule.dueTime(
                            of: stage, enteredAt: entered,
                            data: try ItemEngine.decodeData(try row.decode(String.self, "data")))
                    {
                        tally.withDue += 1
                        if left <= due { tally.onTime += 1 }
                    }
                }
                tallies[key] = tally
            }
            return tallies.keys.sorted().map { key in
                let parts = key.split(separator: "\u{1}").map(String.init)
                let tally = tallies[key]!
                let sorted = tally.durations.sorted()
                func percentile(_ fraction: Double) -> Int? {
                    guard !sorted.isEmpty else { return nil }
                    let index = Int((fraction * Double(sorted.count - 1)).rounded(.up))
                    return Int(sorted[index])
                }
                return FlowRow(
                    workflow: parts[0], stage: parts[1], passed: sorted.count,
                    medianSeconds: percentile(0.5), p90Seconds: percentile(0.9),
                    onTimeShare: tally.withDue == 0 ? nil : Double(tally.onTime) / Double(tally.withDue),
                    rework: tally.rework)
            }
        }
    }
}
