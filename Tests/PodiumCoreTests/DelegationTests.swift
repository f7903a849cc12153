import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine

/// Standing in for someone away, through PostgreSQL: the same decider, "dana for bob" in history,
/// separation of duties for both, and who may record an absence.
@Suite("Delegation while away")
struct DelegationTests {
    static let monday = DataDate.parse("2026-03-02T10:00:00Z")!

    static func absences(_ fixture: EngineFixture) -> AbsenceStore {
        AbsenceStore(pool: fixture.pool, time: FixedTime(monday))
    }

    /// An exec-post item of Alice's in private review with Bob coaching.
    static func inReview(_ fixture: EngineFixture) async throws -> ItemView {
        let engine = fixture.engine(at: monday)
        let item = try await fixture.item("exec-post", title: "Night shift", withCoach: true)
        _ = try await engine.fire(item: item.id, transition: "start_draft", actor: "alice")
        _ = try await engine.fire(
            item: item.id, transition: "submit", actor: "alice",
            data: ["body": "b", "publish_at": "2026-03-10T09:00:00Z"])
        return item
    }

    @Test func theStandInApprovesForTheCoachAndHistorySaysSo() async throws {
        try await EngineFixture.run { fixture in
            let item = try await Self.inReview(fixture)
            let engine = fixture.engine(at: Self.monday)
            let before = await #expect(throws: PodiumError.self) {
                try await engine.fire(item: item.id, transition: "approve", actor: "dana")
            }
            #expect(before?.message == "no item \(item.id)", "Dana takes no part yet: \(String(describing: before))")
            _ = try await Self.absences(fixture).away(
                "bob", from: nil, until: .day(20_528), delegate: "dana", note: nil, by: "bob")
            _ = try await WebhookStore(pool: fixture.pool).add(
                url: "http://127.0.0.1:9/events", events: [], workflow: nil, by: "carol")
            // Dana sees it in her inbox as Bob's.
            let dana = try await ActorStore(pool: fixture.pool, time: FixedTime(Self.monday)).find("dana")
            #expect(dana.standsInFor.map(\.handle) == ["bob"])
            let inbox = try await engine.inbox(for: dana.identity)
            #expect(inbox.waiting.map(\.item.id) == [item.id])
            #expect(inbox.waiting.first?.onBehalfOf == "bob")
            let fired = try await engine.fire(item: item.id, transition: "approve", actor: "dana")
            #expect(fired.stage == "publish")
            // Its event says so too, for the systems that listen.
            let event = try await fixture.pool.query(
                "select payload -> 'entry' ->> 'on_behalf_of' as principal from event_outbox order by id desc limit 1"
            ).single()
            #expect(try event.decode(String?.self, "principal") == "bob")
            let entry = try #require(try await engine.history(item.id).last)
            #expect(entry.actor == "dana" && entry.onBehalfOf == "bob" && entry.role == "coach")
        }
    }

    /// Nobody approves their own work through a stand-in: Dana moved the draft in for Alice, so
    /// she cannot approve it for Bob either.
    @Test func aStandInNeverApprovesWorkTheyOrTheirPrincipalDid() async throws {
        try await EngineFixture.run { fixture in
            let engine = fixture.engine(at: Self.monday)
            let item = try await fixture.item("exec-post", title: "Leeds", withCoach: true)
            _ = try await engine.fire(item: item.id, transition: "start_draft", actor: "alice")
            _ = try await Self.absences(fixture).away(
                "alice", from: nil, until: .day(20_528), delegate: "dana", note: nil, by: "alice")
            let submitted = try await engine.fire(
                item: item.id, transition: "submit", actor: "dana",
                data: ["body": "b", "publish_at": "2026-03-10T09:00:00Z"])
            #expect(submitted.entry?.onBehalfOf == "alice")
            _ = try await Self.absences(fixture).away(
                "bob", from: nil, until: .day(20_528), delegate: "dana", note: nil, by: "carol")
            let refused = await #expect(throws: PodiumError.self) {
                try await engine.fire(item: item.id, transition: "approve", actor: "dana")
            }
            #expect(refused?.code == "refused.own_work", "\(String(describing: refused))")
        }
    }

    @Test func whoMayRecordAnAbsenceAndWhatIsRefused() async throws {
        try await EngineFixture.run { fixture in
            let store = Self.absences(fixture)
            let notTheirs = await #expect(throws: PodiumError.self) {
                try await store.away("bob", from: nil, until: .day(20_528), delegate: nil, note: nil, by: "eve")
            }
            #expect(notTheirs?.code == "refused.not_permitted")
            let themselves = await #expect(throws: PodiumError.self) {
                try await store.away("bob", from: nil, until: .day(20_528), delegate: "bob", note: nil, by: "bob")
            }
            #expect(themselves?.kind == .usage)
            let unknown = await #expect(throws: PodiumError.self) {
                try await store.away("bob", from: nil, until: .day(20_528), delegate: "nobody", note: nil, by: "bob")
            }
            #expect(unknown?.code == "not_found.actor")
            let past = await #expect(throws: PodiumError.self) {
                try await store.away("bob", from: nil, until: .day(20_000), delegate: nil, note: nil, by: "bob")
            }
            #expect(past?.kind == .usage)
            // A day is the start of that day on the person's clock (Europe/Paris: 23:00 UTC before).
            let first = try await store.away("bob", from: nil, until: .day(20_528), delegate: nil, note: nil, by: "bob")
            #expect(DataDate.format(first.endsAt) == "2026-03-15T23:00:00Z")
            let overlap = await #expect(throws: PodiumError.self) {
                try await store.away(
                    "bob", from: .day(20_520), until: .day(20_530), delegate: nil, note: nil, by: "bob")
            }
            #expect(overlap?.code == "refused.absence_overlaps")
            // Nobody names themselves someone's stand-in; an admin's absence is an admin's to record
            // (a stand-in would read what they may); "system" is never away and stands in for nobody.
            let herself = await #expect(throws: PodiumError.self) {
                try await store.away("dana", from: nil, until: .day(20_528), delegate: "carol", note: nil, by: "carol")
            }
            #expect(herself?.code == "refused.not_permitted", "\(String(describing: herself))")
            try await fixture.pool.execute("update actors set roles = '{admin}' where handle = 'eve'")
            let admin = await #expect(throws: PodiumError.self) {
                try await store.away("eve", from: nil, until: .day(20_528), delegate: "dana", note: nil, by: "carol")
            }
            #expect(admin?.code == "refused.not_permitted", "\(String(describing: admin))")
            let system = await #expect(throws: PodiumError.self) {
                try await store.away("dana", from: nil, until: .day(20_528), delegate: "system", note: nil, by: "dana")
            }
            #expect(system?.code == "refused.system_actor", "\(String(describing: system))")
            let ended = try await store.back("bob", by: "carol")
            #expect(ended.endedBy == "carol" && ended.backAt == Self.monday)
            #expect(try await store.current(of: "bob").isEmpty)
            let again = await #expect(throws: PodiumError.self) { try await store.back("bob", by: "bob") }
            #expect(again?.code == "not_found.absence")
        }
    }
}
