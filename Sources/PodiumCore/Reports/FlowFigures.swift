import Foundation
import LibPQ

/// The flow report's figures, kept as the engine works (SQL/024): every entry that starts a stage
/// visit leaves facts in `visit_facts` in its own transaction; ``fold(dueRules:on:)`` counts them
/// into per-day and all-time figures and deletes them; ``read(dueRules:workflow:sinceDay:on:)``
/// adds the folded figures and the facts still waiting. Time in stage is kept in whole minutes.
struct FlowFigures {
    /// One stage's figures: visits entered and returned to, and the visits that ended, by the
    /// whole minutes they lasted.
    struct Tally {
        var rework = 0
        var withDue = 0
        var onTime = 0
        /// Ended visits per whole minutes in stage, in ascending order of minutes.
        var passedByMinutes: [(minutes: Int, count: Int)] = []

        var passed: Int { passedByMinutes.reduce(0) { $0 + $1.count } }

        /// The interpolated percentile of time in stage in seconds (as PostgreSQL's
        /// `percentile_cont` over the ended visits, rounded to the nearest second, ties to even),
        /// or nil when no visit ended. `fraction` runs from 0 to 1.
        func percentileSeconds(_ fraction: Double) -> Int? {
            let total = passed
            guard total > 0 else { return nil }
            let position = fraction * Double(total - 1)
            let lowerRank = Int(position.rounded(.down))
            let lower = Double(minutes(atRank: lowerRank) * 60)
            let upper = Double(minutes(atRank: min(lowerRank + 1, total - 1)) * 60)
            return Int((lower + (upper - lower) * (position - Double(lowerRank))).rounded(.toNearestOrEven))
        }

        /// The minutes of the ended visit at `rank` (0-based) in ascending order.
        private func minutes(atRank rank: Int) -> Int {
            var seen = 0
            for entry in passedByMinutes {
                seen += entry.count
                if rank < seen { return entry.minutes }
            }
            return passedByMinutes.last?.minutes ?? 0
        }
    }

    /// Facts folded per transaction: large enough to fold millions in minutes, small enough that
    /// no fold holds its locks for long.
    static let foldBatch = 20_000

    /// Counts the facts waiting in `visit_facts` into `flow_days` and `flow_totals` and deletes
    /// them, `foldBatch` facts per transaction. Does nothing on a standby (a read replica), in a
    /// read-only session, or while another session folds: the report then reads the facts still
    /// waiting, which gives the same figures. Returns the number of facts folded.
    ///
    /// - Parameter dueRules: the stages' due rules as JSON (`Reports.dueRulesAndStageOrder`),
    ///   for visits from before due times were recorded with them (SQL/019).
    /// - Parameter batches: the most transactions to fold in; nil folds until none is left.
    @discardableResult
    static func fold(dueRules: String, batches: Int? = nil, on db: PostgresConnection) async throws -> Int {
        guard
            try await !db.query(
                "select pg_is_in_recovery() or current_setting('transaction_read_only') = 'on' as read_only"
            ).single().decode(Bool.self, "read_only")
        else { return 0 }
        var folded = 0
        for _ in 0..<(batches ?? .max) {
            let moved: Int? = try await db.transaction { db in
                let locked = try await db.query(
                    "select pg_try_advisory_xact_lock(\(advisoryLock)) as locked"
                ).single().decode(Bool.self, "locked")
                guard locked else { return nil }
                return try await db.query(
                    """
                    with rules as (\(rulesTable(dueRules))),
                    moved as (
                        delete from visit_facts
                         where id in (select id from visit_facts order by id limit \(foldBatch))
                        returning *
                    ), figures as (\(aggregate(facts: "moved", byDay: true))),
                    days as (
                        insert into flow_days (workflow, stage, day, minutes, entered, rework, passed, with_due, on_time)
                        select workflow, stage, day, minutes, entered, rework, passed, with_due, on_time from figures
                        on conflict (workflow, stage, day, minutes) do update
                           set entered = flow_days.entered + excluded.entered, rework = flow_days.rework + excluded.rework,
                               passed = flow_days.passed + excluded.passed, with_due = flow_days.with_due + excluded.with_due,
                               on_time = flow_days.on_time + excluded.on_time
                    ), totals as (
                        insert into flow_totals (workflow, stage, minutes, entered, rework, passed, with_due, on_time)
                        select workflow, stage, minutes, sum(entered), sum(rework), sum(passed), sum(with_due), sum(on_time)
                          from figures group by workflow, stage, minutes
                        on conflict (workflow, stage, minutes) do update
                           set entered = flow_totals.entered + excluded.entered, rework = flow_totals.rework + excluded.rework,
                               passed = flow_totals.passed + excluded.passed, with_due = flow_totals.with_due + excluded.with_due,
                               on_time = flow_totals.on_time + excluded.on_time
                    )
                    select count(*) as moved from moved
                    """
                ).single().decode(Int.self, "moved")
            }
            guard let moved else { return folded }
            folded += moved
            if moved < foldBatch { return folded }
        }
        return folded
    }

    /// The figures per workflow and stage: the folded ones (all time, or from `sinceDay` on) and
    /// the facts still waiting, read in one snapshot so that a fold running meanwhile is seen
    /// either wholly or not at all.
    ///
    /// - Parameter sinceDay: midnight UTC of the first day whose visits count, or nil for all.
    static func read(
        dueRules: String, workflow: String?, sinceDay: Date?, on db: PostgresConnection
    ) async throws -> [String: [String: Tally]] {
        let rows = try await db.query(
            """
            with rules as (\(rulesTable(dueRules))),
            waiting as (
                select * from visit_facts where \(sinceDay)::timestamptz is null or entered_at >= \(sinceDay)
            )
            select workflow, stage, minutes, sum(rework)::bigint as rework, sum(passed)::bigint as passed,
                   sum(with_due)::bigint as with_due, sum(on_time)::bigint as on_time
              from (select workflow, stage, minutes, rework, passed, with_due, on_time
                      from flow_totals where \(sinceDay)::timestamptz is null
                    union all
                    select workflow, stage, minutes, rework, passed, with_due, on_time
                      from flow_days where day >= (\(sinceDay)::timestamptz at time zone 'UTC')::date
                    union all
                    select workflow, stage, minutes, rework, passed, with_due, on_time
                      from (\(aggregate(facts: "waiting", byDay: false))) pending) figures
             where \(workflow)::text is null or workflow = \(workflow)
             group by workflow, stage, minutes
             order by workflow, stage, minutes nulls first
            """)
        var tallies: [String: [String: Tally]] = [:]
        for row in rows {
            let workflow = try row.decode(String.self, "workflow")
            let stage = try row.decode(String.self, "stage")
            var tally = tallies[workflow, default: [:]][stage, default: Tally()]
            tally.rework += try row.decode(Int.self, "rework")
            tally.withDue += try row.decode(Int.self, "with_due")
            tally.onTime += try row.decode(Int.self, "on_time")
            let passed = try row.decode(Int.self, "passed")
            if let minutes = try row.decode(Int?.self, "minutes"), passed > 0 {
                tally.passedByMinutes.append((minutes, passed))
            }
            tallies[workflow, default: [:]][stage] = tally
        }
        return tallies
    }

    /// The advisory lock that makes one session at a time fold (any constant unique to this use).
    private static let advisoryLock: Int = 0x706f_6469_756d_666c  // "podiumfl"

    /// The due rules as a table: one row per workflow version and stage with an elapsed due
    /// (`after_seconds`) or a date field (`field`, `by_seconds` before it).
    private static func rulesTable(_ dueRules: String) -> PostgresQuery {
        """
        select * from jsonb_to_recordset(\(dueRules)::jsonb)
            as r(workflow text, version int, stage text, after_seconds bigint, field text, by_seconds bigint)
        """
    }

    /// Facts counted per workflow, stage, (with `byDay`) the UTC day the visit started, and whole
    /// minutes in stage for visits that ended. A visit's due time is the one recorded with it, or
    /// for visits from before SQL/019 the one its stage's rule gives now.
    private static func aggregate(facts: PostgresQuery, byDay: Bool) -> PostgresQuery {
        let day: PostgresQuery = byDay ? "(f.entered_at at time zone 'UTC')::date as day," : ""
        let groupedByDay: PostgresQuery = byDay ? "day, " : ""
        return """
                select f.workflow, f.stage, \(day)
                       case when f.left_at is not null
                            then floor(extract(epoch from f.left_at - f.entered_at) / 60)::bigint end as minutes,
                       count(*) filter (where f.left_at is null) as entered,
                       count(*) filter (where f.left_at is null and f.rework) as rework,
                       count(*) filter (where f.left_at is not null) as passed,
                       count(*) filter (where f.left_at is not null and d.due_at is not null) as with_due,
                       count(*) filter (where f.left_at <= d.due_at) as on_time
                  from \(facts) f
                  -- Only visits from before due times were recorded need their item's rules.
                  left join lateral (select workflow, version, data from items
                                      where id = f.item_id and not f.due_recorded) i on true
                  left join rules r on r.workflow = i.workflow and r.version = i.version and r.stage = f.stage
                 cross join lateral (
                    select case when f.due_recorded then f.due_at
                                when r.after_seconds is not null
                                then f.entered_at + make_interval(secs => r.after_seconds::double precision)
                                when r.field is not null
                                then podium_data_timestamp(i.data ->> r.field)
                                     - make_interval(secs => coalesce(r.by_seconds, 0)::double precision)
                           end as due_at) d
                 group by f.workflow, f.stage, \(groupedByDay)minutes
            """
    }
}
