import Foundation
import LibPQ
import PodiumTestSupport
import Testing
import WorkflowEngine
import WorkflowLanguage

@testable import PodiumCore

private let start = Date(timeIntervalSince1970: 1_772_442_000)  // 2026-03-02 09:00 UTC
private let day: TimeInterval = 86_400

/// The flow report reads figures the engine keeps as it works (SQL/024). These tests check them
/// against the report as it was before: one window over every stage visit in history, kept here
/// as the reference.
@Suite("Flow figures kept as the engine works give the report worked out from history")
struct FlowFiguresTests {
    /// Forty items wander through exec-post at random whole-minute steps: drafts sent back,
    /// withdrawals, cancellations, operators' moves. The report matches the reference before the
    /// first fold, after it, after more work on top of folded figures, and from a given day on.
    @Test func randomProgramsMatchTheReferenceBeforeAndAfterFolding() async throws {
        try await EngineFixture.run { fixture in
            try await fixture.pool.execute("update actors set roles = '{admin}' where handle = 'eve'")
            var walk = ProgramWalk(seed: 20_261_201)
            let items = try await walk.create(40, on: fixture)
            try await walk.wander(items, steps: 120, on: fixture)
            let reports = Reports(pool: fixture.pool)
            try await expectReference(reports, fixture.pool, since: nil)
            #expect(try await waitingFacts(fixture.pool) == 0, "the report folded every fact")
            try await walk.wander(items, steps: 120, on: fixture)
            #expect(try await waitingFacts(fixture.pool) > 0)
            for since in [nil, start.addingTimeInterval(3 * day + 3_600), start.addingTimeInterval(30 * day)] {
                try await expectReference(reports, fixture.pool, since: since)
            }
        }
    }

    /// Transitions and reports at the same time: every fact is counted once, whichever fold
    /// takes it, and figures never go backwards.
    @Test func foldingWhileTheEngineWorksCountsEveryVisitOnce() async throws {
        try await EngineFixture.run { fixture in
            try await fixture.pool.execute("update actors set roles = '{admin}' where handle = 'eve'")
            var walk = ProgramWalk(seed: 7)
            let items = try await walk.create(24, on: fixture)
            let reports = Reports(pool: fixture.pool)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for part in 0..<3 {
                    let mine = items.enumerated().filter { $0.offset % 3 == part }.map(\.element)
                    group.addTask {
                        var walker = ProgramWalk(seed: UInt64(part + 1))
                        try await walker.wander(mine, steps: 80, on: fixture)
                    }
                }
                group.addTask {
                    for _ in 0..<15 { _ = try await reports.flow(workflow: "exec-post") }
                }
                try await group.waitForAll()
            }
            try await expectReference(reports, fixture.pool, since: nil)
        }
    }

    /// Visits recorded before the figures were kept (a database migrated from SQL/023) are
    /// counted once by the migration, and visits from before due times were recorded with them
    /// (SQL/019) take their due time from the stage's rule, as the report always did.
    @Test func visitsFromBeforeTheMigrationAreCounted() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let migrations = try TestDatabase.shippedMigrations()
            let connection = try await PostgresConnection.connect(configuration)
            _ = try await Migrator(migrations: migrations.filter { $0.version < 24 }).migrate(on: connection)
            let text = try String(
                contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("Workflows/exec-post.yaml"),
                encoding: .utf8)
            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 2))
            _ = try await WorkflowStore(pool: pool).load(
                try #require(WorkflowParser.check(text).validDefinition), source: text, path: nil)
            for handle in ["alice", "bob", "carol"] {
                _ = try await ActorStore(pool: pool).add(
                    handle: handle, name: handle, roles: handle == "carol" ? ["community_manager"] : [],
                    timezone: "UTC", channel: nil, workingHours: nil)
            }
            // One item the engine moved: listen 1d, draft 1d, review 6h, back to draft 18h.
            let people = [Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob")]
            func at(_ offset: TimeInterval) -> ItemEngine {
                ItemEngine(pool: pool, time: FixedTime(start.addingTimeInterval(offset)), door: .cli)
            }
            let item = try await at(0).create(
                workflow: "exec-post", title: "A", author: "carol", participants: people,
                data: ["publish_at": "2026-03-11T09:00:00Z"])
            _ = try await at(day).fire(item: item.id, transition: "start_draft", actor: "alice")
            _ = try await at(2 * day).fire(item: item.id, transition: "submit", actor: "alice", data: ["body": "b"])
            _ = try await at(2.25 * day).fire(item: item.id, transition: "request_changes", actor: "bob", comment: "c")
            // One written before due times were recorded: four days in listen, whose rule says 3d.
            try await connection.execute(
                """
                with item as (
                    insert into items (workflow, version, stage, title, data, revision, stage_entered_at,
                                       last_activity_at, created_by, created_at, updated_at)
                    values ('exec-post', 1, 'draft', 'Old', '{}', 2, \(start.addingTimeInterval(4 * day)),
                            \(start.addingTimeInterval(4 * day)), 'carol', \(start), \(start))
                    returning id
                ), entries as (
                    insert into history (item_id, kind, transition, from_stage, to_stage, actor, role, at, due_recorded)
                    select id, kind, transition, from_stage, to_stage, 'alice', 'executive', at, false
                      from item, (values ('create', null, null, 'listen', \(start)),
                                         ('transition', 'start_draft', 'listen', 'draft', \(start.addingTimeInterval(4 * day))))
                                  as e(kind, transition, from_stage, to_stage, at)
                    returning id, item_id
                )
                update items set visit_id = (select max(id) from entries) where id = (select id from item)
                """)
            let before = try await referenceFlow(connection, since: nil)
            _ = try await Migrator(migrations: migrations).migrate(on: connection)
            let rows = try await Reports(pool: pool).flow(workflow: "exec-post")
            let listen = try #require(rows.first { $0.stage == "listen" })
            #expect(listen.passed == 2 && listen.onTimeShare == 0.5, "the old visit was late by its rule: \(listen)")
            #expect(
                rows.filter { $0.stage != "listen" }.sorted { $0.stage < $1.stage }
                    == before.filter { $0.stage != "listen" }.sorted { $0.stage < $1.stage })
            #expect(try await waitingFacts(pool) == 0)
            await pool.shutdown()
            await connection.close()
        }
    }

    @Test(arguments: [
        ([(0, 1)], 0.5, 0), ([(60, 1), (1_440, 1)], 0.9, 78_120), ([(10, 2), (20, 1)], 0.5, 600),
        ([(10, 1), (20, 1)], 0.5, 900), ([(-5, 1), (5, 3)], 0.1, -120),
    ])
    func percentilesInterpolateLikePostgreSQL(counts: [(Int, Int)], fraction: Double, seconds: Int) async throws {
        try await TestDatabase.withConnection { db in
            let values = counts.flatMap { Array(repeating: $0.0 * 60, count: $0.1) }
            let expected = try await db.query(
                """
                select round(percentile_cont(\(fraction)) within group (order by v))::bigint as p
                  from unnest(\(values.map(Int64.init))::int8[]) v
                """
            ).single().decode(Int.self, "p")
            #expect(expected == seconds)
            let tally = FlowFigures.Tally(passedByMinutes: counts.map { (minutes: $0.0, count: $0.1) })
            #expect(tally.percentileSeconds(fraction) == expected)
        }
    }
}

private func waitingFacts(_ pool: PostgresPool) async throws -> Int {
    try await pool.query("select count(*) as n from visit_facts").single().decode(Int.self, "n")
}

private func expectReference(_ reports: Reports, _ pool: PostgresPool, since: Date?) async throws {
    let rows = try await reports.flow(workflow: "exec-post", since: since)
    let reference = try await pool.withConnection { try await referenceFlow($0, since: since) }
    // The reference has rows for terminal stages, which the report leaves out.
    let expected = reference.filter { $0.stage != "done" && $0.stage != "withdrawn" }
    #expect(Set(rows.map(\.stage)) == Set(expected.map(\.stage)), "since \(String(describing: since))")
    #expect(
        rows.sorted { $0.stage < $1.stage } == expected.sorted { $0.stage < $1.stage },
        "since \(String(describing: since))")
}

/// The report as it was before SQL/024, for exec-post items whose visits all recorded their due
/// time: every visit from history, times in whole minutes as the kept figures have them, and
/// `since` taken back to its day's midnight UTC.
private func referenceFlow(_ db: PostgresConnection, since: Date?) async throws -> [FlowRow] {
    let sinceDay = since.map { Date(timeIntervalSince1970: ($0.timeIntervalSince1970 / day).rounded(.down) * day) }
    let rows = try await db.query(
        """
        with visits as (
            select h.kind, h.to_stage as stage, h.at as entered,
                   case when h.due_recorded then h.due_at
                        else h.at + interval '3 days' end as due_at,
                   lead(h.at) over (partition by h.item_id order by h.id) as left_at,
                   row_number() over (partition by h.item_id, h.to_stage, h.kind = 'cancel' order by h.id) as nth
              from history h join items i on i.id = h.item_id
             where h.kind in ('create', 'transition', 'override', 'cancel', 'migrate') and i.workflow = 'exec-post'
        ), timed as (
            select stage, nth, left_at, due_at, floor(extract(epoch from left_at - entered) / 60) * 60 as seconds
              from visits where kind <> 'cancel' and (\(sinceDay)::timestamptz is null or entered >= \(sinceDay))
        )
        select stage, count(left_at) as passed,
               round(percentile_cont(0.5) within group (order by seconds))::bigint as median,
               round(percentile_cont(0.9) within group (order by seconds))::bigint as p90,
               count(*) filter (where left_at is not null and due_at is not null) as with_due,
               count(*) filter (where left_at <= due_at) as on_time,
               count(*) filter (where nth > 1) as rework
          from timed group by stage
        """)
    return try rows.map { row in
        let withDue = try row.decode(Int.self, "with_due")
        return FlowRow(
            workflow: "exec-post", stage: try row.decode(String.self, "stage"),
            passed: try row.decode(Int.self, "passed"), medianSeconds: try row.decode(Int?.self, "median"),
            p90Seconds: try row.decode(Int?.self, "p90"),
            onTimeShare: withDue == 0 ? nil : Double(try row.decode(Int.self, "on_time")) / Double(withDue),
            rework: try row.decode(Int.self, "rework"))
    }
}

/// Items moved at random through exec-post by the people who would move them, each step a whole
/// number of minutes after the item's last one; the same seed gives the same walk.
private struct ProgramWalk: Sendable {
    private var state: UInt64
    private var clock: [Int: TimeInterval] = [:]

    init(seed: UInt64) { state = seed }

    private mutating func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }

    mutating func create(_ count: Int, on fixture: EngineFixture) async throws -> [Int] {
        var ids: [Int] = []
        for n in 0..<count {
            let at = TimeInterval(next(5 * 1_440) * 60)
            let publish = start.addingTimeInterval(at + TimeInterval(next(12 * 1_440) * 60))
            let item = try await fixture.engine(at: start.addingTimeInterval(at)).create(
                workflow: "exec-post", title: "Post \(n)", author: "carol",
                participants: [
                    Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob"),
                ],
                data: ["publish_at": ISO8601DateFormatter().string(from: publish)])
            clock[item.id] = at
            ids.append(item.id)
        }
        return ids
    }

    /// Takes `steps` random steps, each on a random item still open.
    mutating func wander(_ items: [Int], steps: Int, on fixture: EngineFixture) async throws {
        for _ in 0..<steps {
            let id = items[next(items.count)]
            let at = (clock[id] ?? 0) + TimeInterval((1 + next(3 * 1_440)) * 60)
            clock[id] = at
            let engine = fixture.engine(at: start.addingTimeInterval(at))
            let item = try await engine.show(id)
            let roll = next(100)
            do {
                try await step(id, item, roll: roll, engine)
            } catch let error as PodiumError where error.kind == .refused {
                continue  // separation of duties can refuse a step an operator's move set up
            }
        }
    }

    private func step(_ id: Int, _ item: ItemView, roll: Int, _ engine: ItemEngine) async throws {
        if item.closedAt != nil {
            if roll < 30 { _ = try await engine.move(item: id, to: "draft", actor: "eve", reason: "reopened") }
            return
        }
        switch (item.stage, roll) {
        case (_, 0..<4): _ = try await engine.cancel(item: id, actor: "eve", reason: "paused")
        case (let stage, 4..<8) where stage != "private_review":
            _ = try await engine.move(item: id, to: "private_review", actor: "eve", reason: "moved")
        case ("listen", 8..<12), ("draft", 8..<12):
            _ = try await engine.fire(item: id, transition: "withdraw", actor: "alice", comment: "not now")
        case ("listen", _): _ = try await engine.fire(item: id, transition: "start_draft", actor: "alice")
        case ("draft", _):
            _ = try await engine.fire(item: id, transition: "submit", actor: "alice", data: ["body": "b"])
        case ("private_review", 12..<60):
            _ = try await engine.fire(item: id, transition: "request_changes", actor: "bob", comment: "shorter")
        case ("private_review", _): _ = try await engine.fire(item: id, transition: "approve", actor: "bob")
        case ("publish", _):
            _ = try await engine.fire(item: id, transition: "published", actor: "alice", data: ["url": "u"])
        case ("follow_up", _):
            _ = try await engine.fire(item: id, transition: "wrap_up", actor: "alice", comment: "done")
        default: break
        }
    }
}
