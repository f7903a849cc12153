import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine

private let start = Date(timeIntervalSince1970: 1_772_442_000)  // 2026-03-02 09:00 UTC
private let hour: TimeInterval = 3600
private let day: TimeInterval = 86_400

@Suite("Reports on a seeded data set, checked against figures worked out by hand")
struct ReportTests {
    /// Alice's numbers are the seed article's: +27.93% messages, +28.37% replies, +49.60% likes.
    /// Dana's: +50% messages, -25% replies, +0% likes. Overall, by hand over all six
    /// measurements: messages (20100/3 -> 25736/3) +28.04%, replies (20200/3 -> 25824/3) +27.84%,
    /// likes (20050/3 -> 29970/3) +49.48%.
    @Test func impactBeforeAndAfterPublishing() async throws {
        try await EngineFixture.run { fixture in
            let reports = Reports(pool: fixture.pool)
            var items: [String: Int] = [:]
            for executive in ["alice", "dana"] {
                let engine = fixture.engine(at: start)
                let item = try await engine.create(
                    workflow: "exec-post", title: "\(executive)'s first post", author: "carol",
                    participants: [
                        Participant(role: "executive", actor: executive), Participant(role: "coach", actor: "bob"),
                    ],
                    data: ["body": "b", "publish_at": "2026-03-10T09:00:00Z"])
                items[executive] = item.id
                _ = try await engine.fire(item: item.id, transition: "start_draft", actor: executive)
                _ = try await engine.fire(item: item.id, transition: "submit", actor: executive)
                _ = try await engine.fire(item: item.id, transition: "approve", actor: "bob")
                _ = try await fixture.engine(at: start.addingTimeInterval(8 * day)).fire(
                    item: item.id, transition: "published", actor: executive, data: ["url": "u"])
            }
            let before = start.addingTimeInterval(day)
            let after = start.addingTimeInterval(20 * day)
            for (at, values) in [
                (before, (10_000, 10_000, 10_000)), (before, (10_000, 10_000, 10_000)),
                (after, (12_793, 12_837, 14_960)), (after, (12_793, 12_837, 14_960)),
            ] {
                try await reports.recordMetrics(
                    item: items["alice"]!, messages: values.0, replies: values.1, likes: values.2, at: at, by: "carol")
            }
            try await reports.recordMetrics(
                item: items["dana"]!, messages: 100, replies: 200, likes: 50, at: before, by: "carol")
            try await reports.recordMetrics(
                item: items["dana"]!, messages: 150, replies: 150, likes: 50, at: after, by: "carol")

            let rows = try await reports.impact()
            #expect(rows.map(\.executive) == ["alice", "dana", "overall"])
            let alice = rows[0]
            #expect(alice.startedPublishing == start.addingTimeInterval(8 * day))
            #expect(alice.measurementsBefore == 2 && alice.measurementsAfter == 2)
            #expect(alice.change.messages == 27.93 && alice.change.replies == 28.37 && alice.change.likes == 49.60)
            #expect(rows[1].change.messages == 50 && rows[1].change.replies == -25 && rows[1].change.likes == 0)
            #expect(
                rows[2].change.messages == 28.04 && rows[2].change.replies == 27.84 && rows[2].change.likes == 49.48)
            let later = try await reports.impact(since: start.addingTimeInterval(10 * day))
            #expect(later.first?.change.messages == nil, "nothing before to compare with")
            await #expect(throws: PodiumError.self) {
                try await reports.recordMetrics(item: 999, messages: 1, replies: 1, likes: 1, at: nil, by: "carol")
            }
            // The figures the report reads are recorded by those who run the program, and say who.
            do {
                try await reports.recordMetrics(
                    item: items["dana"]!, messages: 1, replies: 1, likes: 1, at: nil, by: "alice")
                Issue.record("an executive recorded her own engagement figures")
            } catch let error as PodiumError {
                #expect(error.code == "refused.not_permitted", "\(error)")
            }
            let recorders = try await fixture.pool.query("select distinct recorded_by from engagement")
            #expect(try recorders.map { try $0.decode(String?.self, "recorded_by") } == ["carol"])
        }
    }

    /// Item A: listen 1d, draft 1d, review 6h, back to draft 18h, review 2d, then publish (open).
    /// Item B: listen 4d (past its 3d due), then draft (open). By hand, per stage:
    /// listen passed 2 [1d, 4d] median 2.5d p90 3.7d on time 50%; draft passed 2 [18h, 1d] median 21h
    /// p90 23.4h on time 100% rework 1; private_review passed 2 [6h, 2d] median 27h p90 43.8h on time
    /// 100% rework 1 (percentiles interpolate between the two visits). Rows follow the flow order.
    @Test func flowPerStage() async throws {
        try await EngineFixture.run { fixture in
            func at(_ offset: TimeInterval) -> ItemEngine { fixture.engine(at: start.addingTimeInterval(offset)) }
            let people = [Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob")]
            let a = try await at(0).create(
                workflow: "exec-post", title: "A", author: "carol", participants: people,
                data: ["publish_at": "2026-03-11T09:00:00Z"])
            _ = try await at(day).fire(item: a.id, transition: "start_draft", actor: "alice")
            _ = try await at(2 * day).fire(item: a.id, transition: "submit", actor: "alice", data: ["body": "b"])
            _ = try await at(2 * day + 6 * hour).fire(
                item: a.id, transition: "request_changes", actor: "bob", comment: "c")
            _ = try await at(3 * day).fire(item: a.id, transition: "submit", actor: "alice")
            _ = try await at(5 * day).fire(item: a.id, transition: "approve", actor: "bob")
            let b = try await at(0).create(
                workflow: "exec-post", title: "B", author: "carol", participants: people, data: [:])
            _ = try await at(4 * day).fire(item: b.id, transition: "start_draft", actor: "alice")

            let rows = try await Reports(pool: fixture.pool, time: FixedTime(start.addingTimeInterval(6 * day)))
                .flow(workflow: "exec-post")
            #expect(rows.map(\.stage).prefix(4) == ["listen", "draft", "private_review", "publish"])
            let byStage = Dictionary(uniqueKeysWithValues: rows.map { ($0.stage, $0) })
            let listen = try #require(byStage["listen"])
            #expect(listen.passed == 2 && listen.medianSeconds == 216_000 && listen.p90Seconds == 319_680)
            #expect(listen.onTimeShare == 0.5 && listen.rework == 0)
            let draft = try #require(byStage["draft"])
            #expect(draft.passed == 2 && draft.medianSeconds == 21 * 3_600 && draft.p90Seconds == 84_240)
            #expect(draft.onTimeShare == 1 && draft.rework == 1)
            let review = try #require(byStage["private_review"])
            #expect(
                review.passed == 2 && review.medianSeconds == 27 * 3_600 && review.p90Seconds == 157_680
                    && review.onTimeShare == 1
                    && review.rework == 1)
            let publish = try #require(byStage["publish"])
            #expect(publish.passed == 0 && publish.medianSeconds == nil)
        }
    }

    /// A terminal stage is never left, so it has nothing to report: the flow leaves it out (it
    /// used to print a `withdrawn` or `done` row of dashes and zeros).
    @Test func terminalStagesAreLeftOutOfTheFlow() async throws {
        try await EngineFixture.run { fixture in
            let item = try await fixture.item("exec-post", title: "Not now")
            _ = try await fixture.engine(at: start.addingTimeInterval(day)).fire(
                item: item.id, transition: "withdraw", actor: "alice", comment: "Not this quarter")
            let rows = try await Reports(pool: fixture.pool, time: FixedTime(start.addingTimeInterval(2 * day)))
                .flow(workflow: "exec-post")
            #expect(rows.map(\.stage) == ["listen"], "\(rows)")
            #expect(rows.first?.passed == 1)
        }
    }

    /// A due date in an item's data is free text: the report reads it as the engine does and
    /// treats anything else as "no due time" instead of failing.
    @Test(arguments: [
        ("2026-03-11", "2026-03-11T00:00:00Z"), ("2026-03-11T09:30:00+02:00", "2026-03-11T07:30:00Z"),
        ("2026-03-11T09:30:00.250Z", "2026-03-11T09:30:00.25Z"), ("2026-02-30", nil), ("tomorrow", nil),
        ("now", nil), ("", nil),
    ])
    func dataDatesReadLikeTheEngine(text: String, expected: String?) async throws {
        try await TestDatabase.withConnection(migrated: true) { db in
            let rows = try await db.query("select podium_data_timestamp(\(text)) as at")
            let value = try rows.single().decode(Date?.self, "at")
            #expect(value == expected.flatMap(StageSchedule.parseDate))
        }
    }
}
