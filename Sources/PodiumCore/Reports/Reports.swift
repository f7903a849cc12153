public import Foundation
public import LibPQ
public import WorkflowEngine
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
public struct FlowRow: Sendable, Codable, Equatable {
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

    /// Records engagement measured on an item, as `author`: a community manager or an admin
    /// (``TaskAdmin/operatorRoles``), since the impact report is read from these figures.
    ///
    /// - Throws: `PodiumError` `.usage` for a count below 0 or above 2,147,483,647 (what the
    ///   table holds), `.notFound` for an unknown item or author, `.refused` for anyone else.
    public func recordMetrics(
        item: Int, messages: Int, replies: Int, likes: Int, at: Date?, by author: String
    ) async throws {
        let counts = 0...Int(Int32.max)
        guard counts.contains(messages), counts.contains(replies), counts.contains(likes) else {
            throw PodiumError(
                .usage,
                "messages, replies and likes are counts from 0 to \(Int32.max); got \(messages), \(replies), \(likes)")
        }
        let now = time.now()
        try await pool.transaction(retry: .resilient) { db in
            _ = try await TaskAdmin.requireOperator(author, to: "record engagement", on: db)
            let found = try await db.query("select 1 from items where id = \(item)")
            guard !found.rows.isEmpty else {
                throw PodiumError(.notFound, "no item \(item)", reason: "item", details: ["item": "\(item)"])
            }
            try await db.execute(
                """
                insert into engagement (item_id, messages, replies, likes, measured_at, recorded_by, recorded_at)
                values (\(item), \(messages), \(replies), \(likes), \(at ?? now), \(author), \(now))
                """)
        }
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
                   and h.kind = \(HistoryKind.transition.rawValue)
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

    /// Per stage of each workflow: visits that ended, median and p90 time in stage (interpolated
    /// percentiles over whole minutes in stage), the share that left by their due time, and rework
    /// (visits that returned to a stage). The figures are kept as the engine works (SQL/024,
    /// ``FlowFigures``): the report first folds the facts written since the last one, then reads
    /// at most one row per stage and minute of time in stage. Stages are listed in the order the
    /// newest version of their workflow declares them.
    ///
    /// - Parameter since: counts the visits that started on or after this day (UTC); a time of
    ///   day is taken back to its day's midnight UTC.
    public func flow(workflow: String? = nil, since: Date? = nil) async throws -> [FlowRow] {
        try await pool.withConnection { db in
            let (dueRules, stageOrder, terminal) = try await dueRulesAndStageOrder(workflow: nil, on: db)
            // A few batches at most: a backlog (after an upgrade) is the worker's to fold, and the
            // waiting facts are read anyway, so a fold that fails or is refused costs only time.
            _ = try? await FlowFigures.fold(dueRules: dueRules, batches: Self.reportFoldBatches, on: db)
            let sinceDay = since.map {
                Date(timeIntervalSince1970: ($0.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
            }
            let tallies = try await FlowFigures.read(dueRules: dueRules, workflow: workflow, sinceDay: sinceDay, on: db)
            var result: [FlowRow] = []
            for (name, stages) in tallies {
                for (stage, tally) in stages where !terminal.contains("\(name)/\(stage)") {
                    // A terminal stage is never left: nothing passes it, it has no time in stage to report.
                    result.append(
                        FlowRow(
                            workflow: name, stage: stage, passed: tally.passed,
                            medianSeconds: tally.percentileSeconds(0.5), p90Seconds: tally.percentileSeconds(0.9),
                            onTimeShare: tally.withDue == 0 ? nil : Double(tally.onTime) / Double(tally.withDue),
                            rework: tally.rework))
                }
            }
            return result.sorted {
                ($0.workflow, stageOrder["\($0.workflow)/\($0.stage)"] ?? .max, $0.stage)
                    < ($1.workflow, stageOrder["\($1.workflow)/\($1.stage)"] ?? .max, $1.stage)
            }
        }
    }

    /// Folds the visit facts the engine wrote since the last fold into the flow report's figures
    /// (``FlowFigures``), at most `batches` transactions of ``flowFoldBatch`` facts each
    /// (nil: all), so that a report finds little left to fold. The long-running worker calls it
    /// every few minutes. Returns the number of facts folded: 0 on a standby, or while another
    /// session folds.
    @discardableResult
    public func foldFlowFigures(batches: Int? = nil) async throws -> Int {
        try await pool.withConnection { db in
            let (dueRules, _, _) = try await dueRulesAndStageOrder(workflow: nil, on: db)
            return try await FlowFigures.fold(dueRules: dueRules, batches: batches, on: db)
        }
    }

    /// The most fold transactions a report runs before it reads: 100,000 facts.
    static let reportFoldBatches = 5

    /// The facts ``foldFlowFigures(batches:)`` folds per transaction: a batch this full says more
    /// may be waiting.
    public static var flowFoldBatch: Int { FlowFigures.foldBatch }

    /// The due rule of every stage of every loaded version (as JSON for `jsonb_to_recordset`),
    /// each stage's position in the newest version of its workflow, and the terminal stages (as
    /// `workflow/stage`).
    private func dueRulesAndStageOrder(workflow: String?, on db: PostgresConnection) async throws
        -> (String, [String: Int], Set<String>)
    {
        struct DueRuleRow: Encodable {
            let workflow: String
            let version: Int
            let stage: String
            let afterSeconds: Int64?
            let field: String?
            let bySeconds: Int64?
        }
        let versions = try await db.query(
            """
            select workflow, version from workflow_versions
             where \(workflow)::text is null or workflow = \(workflow)
             order by workflow, version
            """)
        var rules: [DueRuleRow] = []
        var order: [String: Int] = [:]
        var terminal: Set<String> = []
        for row in versions {
            let name = try row.decode(String.self, "workflow")
            let version = try row.decode(Int.self, "version")
            let definition = try await definitions.definition(name, version: version, on: db)
            for (position, stage) in definition.stagesInFlowOrder.enumerated() {
                order["\(name)/\(stage.name)"] = position
                if stage.terminal { terminal.insert("\(name)/\(stage.name)") }
                switch stage.due {
                case .after(.elapsed(let duration)):
                    rules.append(
                        .init(
                            workflow: name, version: version, stage: stage.name, afterSeconds: duration.seconds,
                            field: nil, bySeconds: nil))
                case .before(let field, .elapsed(let offset)):
                    rules.append(
                        .init(
                            workflow: name, version: version, stage: stage.name, afterSeconds: nil, field: field,
                            bySeconds: offset.seconds))
                case .after(.businessDays), .before(_, .businessDays):
                    // Only the calendar can say; every such visit keeps its due time (SQL/019).
                    break
                case .at(let field):
                    rules.append(
                        .init(
                            workflow: name, version: version, stage: stage.name, afterSeconds: nil, field: field,
                            bySeconds: 0))
                case nil:
                    break
                }
            }
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return (String(decoding: try encoder.encode(rules), as: UTF8.self), order, terminal)
    }
}

/// How many open items sit in one stage of one program, and how many of them are overdue: one
/// cell of the console's board.
public struct BoardCell: Sendable, Codable, Equatable {
    public let workflow: String
    public let stage: String
    public let open: Int
    public let overdue: Int
}

extension Reports {
    /// Open items per program and stage that `reader` may see (the stage lists they lead to show
    /// the same), with the overdue ones counted apart (by the due time at the clock's now).
    public func board(for reader: ActorIdentity) async throws -> [BoardCell] {
        try await pool.query(
            """
            select i.workflow, i.stage, count(*) as open, count(*) filter (where i.due_at < \(time.now())) as overdue
              from items i where i.closed_at is null and \(ItemEngine.readable(by: reader))
             group by i.workflow, i.stage order by i.workflow, i.stage
            """
        ).map {
            BoardCell(
                workflow: try $0.decode(String.self, "workflow"), stage: try $0.decode(String.self, "stage"),
                open: try $0.decode(Int.self, "open"), overdue: try $0.decode(Int.self, "overdue"))
        }
    }
}
