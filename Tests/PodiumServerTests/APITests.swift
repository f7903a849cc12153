import Foundation
import HTTPTypes
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine
import WorkflowLanguage

/// A post as alice drafts it: listen, then draft.
private func draft(_ api: APIFixture) async throws -> Int {
    let created = try await api.call(
        .post, "/api/v1/items", as: "carol",
        json:
            #"{"workflow": "exec-post", "title": "Three things", "participants": [{"role": "executive", "actor": "alice"}, {"role": "coach", "actor": "bob"}]}"#
    )
    #expect(created.status == 201, "\(created)")
    let id = try #require(created.json["id"] as? Int)
    let fired = try await api.call(.post, "/api/v1/items/\(id)/transitions/start_draft", as: "alice")
    #expect(fired.status == 200, "\(fired)")
    return id
}

@Suite("The HTTP API over a real socket and a real PostgreSQL")
struct APITests {
    @Test func openRoutesAnswerWithoutAToken() async throws {
        try await APIFixture.run { api in
            let health = try await api.call(.get, "/healthz", as: nil)
            #expect(health.status == 200 && health.json["status"] as? String == "ok", "\(health)")
            let ready = try await api.call(.get, "/readyz", as: nil)
            #expect(ready.status == 200 && ready.json["status"] as? String == "ready", "\(ready)")
            let contract = try await api.call(.get, "/api/v1/openapi.json", as: nil)
            #expect(contract.status == 200 && contract.json["openapi"] as? String == "3.1.0", "\(contract)")
            #expect((contract.json["paths"] as? [String: Any])?["/api/v1/items/{id}/transitions/{transition}"] != nil)
        }
    }

    @Test func readinessSaysWhichMigrationsArePending() async throws {
        let shipped = try TestDatabase.shippedMigrations()
        let next = try Migration(fileName: "999_not_yet_applied.sql", sql: "select 1")
        try await APIFixture.run(migrations: shipped + [next]) { api in
            let ready = try await api.call(.get, "/readyz", as: nil)
            #expect(ready.status == 503, "\(ready)")
            #expect(ready.json["status"] as? String == "migrations_pending")
            // Anyone may ask: the count, not the names.
            #expect(ready.json["detail"] as? String == "1 migration(s) to apply: run podium migrate")
        }
    }

    @Test func everyOtherRouteNeedsAValidToken() async throws {
        try await APIFixture.run { api in
            for path in ["/api/v1/me", "/api/v1/items", "/api/v1/workflows", "/metrics", "/api/v1/stuck"] {
                let anonymous = try await api.call(.get, path, as: nil)
                #expect(anonymous.status == 401 && anonymous.code == "unauthenticated.missing", "\(path): \(anonymous)")
                #expect(anonymous.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                #expect(anonymous.headers[.contentType] == "application/problem+json")
            }
            let basic = try await api.call(.get, "/api/v1/me", as: nil, headers: [.authorization: "Basic YTpi"])
            #expect(basic.status == 401 && basic.code == "unauthenticated.scheme", "\(basic)")
            let unknown = try await api.call(
                .get, "/api/v1/me", as: nil, headers: [.authorization: "Bearer pdm_not-a-real-token"])
            #expect(unknown.status == 401 && unknown.code == "unauthenticated.token", "\(unknown)")
            #expect(!unknown.text.contains("pdm_not-a-real-token"), "an error repeats the token")

            let store = TokenStore(pool: api.fixture.pool)
            let revoked = try await store.create(for: "bob", name: "old", lifetime: 3600)
            _ = try await store.revoke(revoked.record.id, by: "bob")
            let afterRevoke = try await api.call(
                .get, "/api/v1/me", as: nil, headers: [.authorization: "Bearer \(revoked.token)"])
            #expect(afterRevoke.status == 401 && afterRevoke.code == "unauthenticated.token_revoked", "\(afterRevoke)")

            let yesterday = TokenStore(pool: api.fixture.pool, time: FixedTime(Date().addingTimeInterval(-86_400)))
            let expired = try await yesterday.create(for: "bob", name: "short", lifetime: 3600)
            let afterExpiry = try await api.call(
                .get, "/api/v1/me", as: nil, headers: [.authorization: "Bearer \(expired.token)"])
            #expect(afterExpiry.status == 401 && afterExpiry.code == "unauthenticated.token_expired", "\(afterExpiry)")

            let me = try await api.call(.get, "/api/v1/me", as: "alice")
            #expect(me.status == 200 && me.json["handle"] as? String == "alice", "\(me)")
            // No token reaches a log line, whatever the request did.
            let tokens = Array(api.tokens.values) + [revoked.token, expired.token]
            let leaked = api.log.all.filter { line in tokens.contains { line.contains($0) } }
            #expect(leaked.isEmpty, "\(leaked)")
            #expect(api.log.all.contains { $0.contains("actor=alice") && $0.contains("route=/api/v1/me") })
        }
    }

    @Test func failedAuthenticationIsLimitedPerAddress() async throws {
        try await APIFixture.run(failuresPerMinute: 3) { api in
            for _ in 0..<3 {
                let wrong = try await api.call(.get, "/api/v1/me", as: nil, headers: [.authorization: "Bearer pdm_x"])
                #expect(wrong.status == 401, "\(wrong)")
            }
            let limited = try await api.call(.get, "/api/v1/me", as: nil, headers: [.authorization: "Bearer pdm_x"])
            #expect(limited.status == 429 && limited.code == "unauthenticated.rate_limited", "\(limited)")
            let seconds = try #require(limited.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...60).contains(seconds))
            // The address waits, whoever it claims to be: a guess that happens to be right included.
            let even = try await api.call(.get, "/api/v1/me", as: "alice")
            #expect(even.status == 429, "\(even)")
            // The open routes stay open.
            #expect(try await api.call(.get, "/healthz", as: nil).status == 200)
        }
    }

    /// A question routed over HTTP is due two business days later in the head-office calendar,
    /// the same count as every other door (the engine reads the calendar; the API says when).
    @Test func businessDaysOverHTTP() async throws {
        try await APIFixture.run { api in
            let created = try await api.call(
                .post, "/api/v1/items", as: "carol",
                json:
                    #"{"workflow": "open-door", "title": "Is Friday off?", "participants": [{"role": "executive", "actor": "alice"}]}"#
            )
            let id = try #require(created.json["id"] as? Int, "\(created)")
            let routed = try await api.call(.post, "/api/v1/items/\(id)/transitions/routine", as: "carol", json: "{}")
            #expect(routed.status == 200, "\(routed)")
            let entry = try #require(routed.json["entry"] as? [String: Any])
            let atText = try #require(entry["at"] as? String)
            let at = try #require(DataDate.parse(atText))
            let shown = try await api.call(.get, "/api/v1/items/\(id)", as: "carol")
            let dueText = try #require(shown.json["due_at"] as? String, "\(shown)")
            let due = try #require(DataDate.parse(dueText))
            let file = TestDatabase.repositoryRoot.appendingPathComponent("Calendars/head-office.yaml").path
            let definition = try #require(
                CalendarParser.check(try WorkflowFiles.read(file), zoneProblem: BusinessCalendar.zoneProblem).definition
            )
            #expect(due == (try BusinessCalendar(definition)).adding(2, to: at), "\(due) for \(at)")
        }
    }

    /// Bob is away and Dana stands in: recorded, listed and ended over HTTP, and Dana's approval
    /// is recorded as done for Bob, by the same decider as every other door.
    @Test func anAbsenceWithAStandInOverHTTP() async throws {
        try await APIFixture.run { api in
            let item = try await api.fixture.item("exec-post", title: "Standing in", withCoach: true)
            let engine = api.fixture.engine(at: Date())
            _ = try await engine.fire(item: item.id, transition: "start_draft", actor: "alice")
            _ = try await engine.fire(
                item: item.id, transition: "submit", actor: "alice",
                data: ["body": "b", "publish_at": "2030-03-10T09:00:00Z"])
            let back = DataDate.format(Date().addingTimeInterval(5 * 86_400))
            let notTheirs = try await api.call(
                .post, "/api/v1/people/bob/absences", as: "alice", json: #"{"until": "\#(back)", "delegate": "dana"}"#)
            #expect(notTheirs.status == 403 && notTheirs.code == "refused.not_permitted", "\(notTheirs)")
            let unreadable = try await api.call(
                .post, "/api/v1/people/bob/absences", as: "bob", json: #"{"until": "soon"}"#)
            #expect(unreadable.status == 422 && unreadable.code == "input", "\(unreadable)")
            let recorded = try await api.call(
                .post, "/api/v1/people/bob/absences", as: "bob",
                json: #"{"until": "\#(back)", "delegate": "dana", "note": "conference"}"#)
            #expect(recorded.status == 201 && recorded.json["delegate"] as? String == "dana", "\(recorded)")
            let listed = try await api.call(.get, "/api/v1/people/bob/absences", as: "bob")
            #expect((listed.json["absences"] as? [[String: Any]])?.count == 1, "\(listed)")
            let notHers = try await api.call(.get, "/api/v1/people/bob/absences", as: "alice")
            #expect(notHers.status == 403, "an absence's note is the person's: \(notHers)")
            let approved = try await api.call(
                .post, "/api/v1/items/\(item.id)/transitions/approve", as: "dana", json: "{}")
            #expect(approved.status == 200, "\(approved)")
            let entry = approved.json["entry"] as? [String: Any]
            #expect(entry?["actor"] as? String == "dana" && entry?["on_behalf_of"] as? String == "bob", "\(approved)")
            let ended = try await api.call(.delete, "/api/v1/people/bob/absences/current", as: "bob")
            #expect(ended.status == 200 && ended.json["ended_by"] as? String == "bob", "\(ended)")
            let none = try await api.call(.delete, "/api/v1/people/bob/absences/current", as: "bob")
            #expect(none.status == 404, "\(none)")
        }
    }

    @Test func aDraftMovesWithRevisionsAndIdempotencyKeysAsHTTPDoesThem() async throws {
        try await APIFixture.run { api in
            let created = try await api.call(
                .post, "/api/v1/items", as: "carol",
                json:
                    #"{"workflow": "exec-post", "title": "Three things", "participants": [{"role": "executive", "actor": "alice"}]}"#
            )
            #expect(created.status == 201, "\(created)")
            let id = try #require(created.json["id"] as? Int)
            #expect(created.headers[.location] == "/api/v1/items/\(id)")
            #expect(created.headers[.eTag] == "\"1\"")

            let shown = try await api.call(.get, "/api/v1/items/\(id)", as: "alice")
            #expect(shown.headers[.eTag] == "\"1\"" && shown.json["stage"] as? String == "listen", "\(shown)")
            #expect(shown.json["next_actors"] as? [String] == ["alice"])

            let key: HTTPFields = [.ifMatch: "\"1\"", HTTPField.Name("Idempotency-Key")!: "start-1"]
            let started = try await api.call(
                .post, "/api/v1/items/\(id)/transitions/start_draft", as: "alice", json: "{}", headers: key)
            #expect(started.status == 200 && started.json["stage"] as? String == "draft", "\(started)")
            #expect(started.headers[.eTag] == "\"2\"")
            // The same request again replays the first answer and changes nothing.
            let replayed = try await api.call(
                .post, "/api/v1/items/\(id)/transitions/start_draft", as: "alice", json: "{}", headers: key)
            #expect(replayed.status == 200 && replayed.json["replayed"] as? Bool == true, "\(replayed)")
            #expect(replayed.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            // Another request with the same key is refused.
            let reused = try await api.call(
                .post, "/api/v1/items/\(id)/transitions/start_draft", as: "alice", json: #"{"comment": "again"}"#,
                headers: [HTTPField.Name("Idempotency-Key")!: "start-1"])
            #expect(reused.status == 422 && reused.code == "conflict.idempotency_key", "\(reused)")
            // A decision on a revision the item has moved past is refused with 412.
            let stale = try await api.call(
                .post, "/api/v1/items/\(id)/transitions/submit", as: "alice",
                json: #"{"data": {"body": "Three things", "publish_at": "2026-03-10T09:00:00Z"}}"#,
                headers: [.ifMatch: "\"1\""])
            #expect(stale.status == 412 && stale.code == "conflict.revision", "\(stale)")
            let malformed = try await api.call(
                .post, "/api/v1/items/\(id)/transitions/submit", as: "alice", json: "{}", headers: [.ifMatch: "W/\"2\""]
            )
            #expect(malformed.status == 400 && malformed.code == "input.if_match", "\(malformed)")
            let missing = try await api.call(.post, "/api/v1/items/\(id)/transitions/submit", as: "alice", json: "{}")
            #expect(missing.status == 409 && missing.code == "refused.missing_requirements", "\(missing)")
            let submitted = try await api.call(
                .post, "/api/v1/items/\(id)/transitions/submit", as: "alice",
                json: #"{"data": {"body": "Three things", "publish_at": "2026-03-10T09:00:00Z"}}"#,
                headers: [.ifMatch: "\"2\""])
            #expect(submitted.status == 200 && submitted.json["stage"] as? String == "private_review", "\(submitted)")

            let history = try await api.call(.get, "/api/v1/items/\(id)/history", as: "carol")
            let entries = try #require(history.json["entries"] as? [[String: Any]])
            #expect(entries.count == 3, "\(history)")
            #expect(entries.allSatisfy { $0["via"] as? String == "api" }, "\(history)")
            let count = try await api.fixture.historyCount(id)
            #expect(count == 3, "the replay or a refusal wrote history")
        }
    }

    @Test func theDeciderJudgesTheAPIAsItJudgesTheCLI() async throws {
        try await APIFixture.run { api in
            let id = try await draft(api)
            // Eve is nobody on this item.
            let outsider = try await api.call(
                .post, "/api/v1/items/\(id)/transitions/withdraw", as: "eve", json: #"{"comment": "no"}"#)
            #expect(outsider.status == 403 && outsider.code == "refused.not_permitted", "\(outsider)")
            let unknown = try await api.call(.post, "/api/v1/items/\(id)/transitions/teleport", as: "alice", json: "{}")
            #expect(unknown.status == 404 && unknown.code == "refused.unknown_transition", "\(unknown)")
            _ = try await api.call(
                .post, "/api/v1/items/\(id)/transitions/submit", as: "alice",
                json: #"{"data": {"body": "Draft", "publish_at": "2026-03-10T09:00:00Z"}}"#)
            // Alice is made a coach too: she still cannot approve her own draft, by this door either.
            let assigned = try await api.call(
                .post, "/api/v1/items/\(id)/assignments", as: "carol", json: #"{"role": "coach", "actor": "alice"}"#)
            #expect(assigned.status == 201, "\(assigned)")
            let own = try await api.call(.post, "/api/v1/items/\(id)/transitions/approve", as: "alice")
            #expect(own.status == 403 && own.code == "refused.own_work", "\(own)")
            let selfAssign = try await api.call(
                .post, "/api/v1/items/\(id)/assignments", as: "alice", json: #"{"role": "coach", "actor": "dana"}"#)
            #expect(selfAssign.status == 403, "\(selfAssign)")
            let unassigned = try await api.call(.delete, "/api/v1/items/\(id)/assignments/coach/alice", as: "carol")
            #expect(unassigned.status == 200 && unassigned.json["kind"] as? String == "unassign", "\(unassigned)")
            let approved = try await api.call(.post, "/api/v1/items/\(id)/transitions/approve", as: "bob")
            #expect(approved.status == 200 && approved.json["stage"] as? String == "publish", "\(approved)")

            // Operators' routes: an admin moves and cancels; nobody else does.
            let notAdmin = try await api.call(
                .post, "/api/v1/items/\(id)/move", as: "carol", json: #"{"to": "draft", "reason": "redo"}"#)
            #expect(notAdmin.status == 403, "\(notAdmin)")
            let moved = try await api.call(
                .post, "/api/v1/items/\(id)/move", as: "eve", json: #"{"to": "draft", "reason": "redo"}"#)
            #expect(moved.status == 200 && moved.json["to_stage"] as? String == "draft", "\(moved)")
            let cancelled = try await api.call(
                .post, "/api/v1/items/\(id)/cancel", as: "eve", json: #"{"reason": "paused"}"#)
            #expect(cancelled.status == 200, "\(cancelled)")
            let closed = try await api.call(.post, "/api/v1/items/\(id)/transitions/submit", as: "alice", json: "{}")
            #expect(closed.status == 409 && closed.code == "refused.closed", "\(closed)")
            // Reminders are the program's: an executive cannot cancel them; the community manager can.
            let retryByAlice = try await api.call(
                .post, "/api/v1/tasks/retry", as: "alice", json: #"{"reason": "try", "dry_run": true}"#)
            #expect(retryByAlice.status == 403 && retryByAlice.code == "refused.not_permitted", "\(retryByAlice)")
            let retryByCarol = try await api.call(
                .post, "/api/v1/tasks/retry", as: "carol", json: #"{"reason": "channel fixed", "dry_run": true}"#)
            #expect(retryByCarol.status == 200 && retryByCarol.json["dry_run"] as? Bool == true, "\(retryByCarol)")
        }
    }

    @Test func everyReadRouteAnswers() async throws {
        try await APIFixture.run { api in
            let id = try await draft(api)
            let comment = try await api.call(
                .post, "/api/v1/items/\(id)/comments", as: "bob", json: #"{"text": "Lead with the customer story"}"#)
            #expect(comment.status == 201 && (comment.json["comments"] as? [Any])?.count == 1, "\(comment)")
            let engagement = try await api.call(
                .post, "/api/v1/items/\(id)/engagement", as: "carol",
                json: #"{"messages": 3, "replies": 2.0, "likes": 40}"#)
            #expect(engagement.status == 204, "\(engagement)")
            let byAlice = try await api.call(
                .post, "/api/v1/items/\(id)/engagement", as: "alice",
                json: #"{"messages": 2147483647, "replies": 0, "likes": 0}"#)
            #expect(byAlice.status == 403 && byAlice.code == "refused.not_permitted", "\(byAlice)")
            let fraction = try await api.call(
                .post, "/api/v1/items/\(id)/engagement", as: "carol",
                json: #"{"messages": 3.5, "replies": 2, "likes": 40}"#)
            #expect(fraction.status == 400 && fraction.code == "input.field_type", "\(fraction)")

            let mine = try await api.call(.get, "/api/v1/me/tasks", as: "alice")
            let waiting = try #require(mine.json["tasks"] as? [[String: Any]])
            #expect(waiting.count == 1 && (waiting[0]["item"] as? [String: Any])?["id"] as? Int == id, "\(mine)")
            #expect(waiting[0]["overdue"] as? Bool == false)

            let workflows = try await api.call(.get, "/api/v1/workflows", as: "eve")
            #expect((workflows.json["workflows"] as? [Any])?.count == 5, "\(workflows)")
            let workflow = try await api.call(.get, "/api/v1/workflows/exec-post", as: "eve")
            #expect(
                workflow.json["version"] as? Int == 1 && workflow.json["definition"] is [String: Any], "\(workflow)")
            let graph = try await api.call(.get, "/api/v1/workflows/exec-post/graph?format=dot", as: "eve")
            #expect((graph.json["text"] as? String)?.hasPrefix("digraph") == true, "\(graph)")
            let badFormat = try await api.call(.get, "/api/v1/workflows/exec-post/graph?format=svg", as: "eve")
            #expect(badFormat.status == 400, "\(badFormat)")
            let noWorkflow = try await api.call(.get, "/api/v1/workflows/nope", as: "eve")
            #expect(noWorkflow.status == 404, "\(noWorkflow)")

            let broken = try await api.call(
                .post, "/api/v1/workflows/validate", as: "eve",
                json: #"{"source": "name: x\nstages:\n  - name: a\n    bogus: 1\n", "file": "x.yaml"}"#)
            #expect(broken.status == 200 && broken.json["valid"] as? Bool == false, "\(broken)")
            let finding = try #require((broken.json["findings"] as? [[String: Any]])?.first)
            #expect(finding["file"] as? String == "x.yaml" && (finding["line"] as? Int ?? 0) >= 1, "\(finding)")

            for path in [
                "/api/v1/items?workflow=exec-post&limit=1", "/api/v1/stuck", "/api/v1/tasks?status=pending",
                "/api/v1/reports/flow", "/api/v1/reports/impact", "/api/v1/items/\(id)/history",
            ] {
                let answer = try await api.call(.get, path, as: "carol")
                #expect(answer.status == 200, "\(path): \(answer)")
            }
            let metrics = try await api.call(.get, "/metrics", as: "carol")
            #expect(metrics.status == 200, "\(metrics)")
            #expect(metrics.text.contains("http_server_requests_total{http_route=\"/api/v1/stuck\""), "\(metrics)")
            #expect(metrics.text.contains("podium_transitions_total{workflow=\"exec-post\",transition=\"start_draft\""))
        }
    }

    @Test func listsComeInPagesByCursor() async throws {
        try await APIFixture.run { api in
            var made: [Int] = []
            for number in 1...5 {
                let created = try await api.call(
                    .post, "/api/v1/items", as: "carol", json: #"{"workflow": "exec-post", "title": "Post \#(number)"}"#
                )
                made.append(try #require(created.json["id"] as? Int))
            }
            var seen: [Int] = []
            var cursor: String?
            repeat {
                let page = try await api.call(
                    .get, "/api/v1/items?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), as: "carol")
                let items = try #require(page.json["items"] as? [[String: Any]])
                seen += items.compactMap { $0["id"] as? Int }
                cursor = page.json["next_cursor"] as? String
            } while cursor != nil
            #expect(seen == made.reversed(), "\(seen)")
            let bad = try await api.call(.get, "/api/v1/items?cursor=abc", as: "carol")
            #expect(bad.status == 400 && bad.code == "input.query", "\(bad)")
        }
    }

    @Test func hostileInputIsRefusedOrStoredAsTyped() async throws {
        try await APIFixture.run { api in
            let id = try await draft(api)
            let cases: [(String, String, Int, String)] = [
                ("not JSON", "{", 400, "input.json"),
                ("an array", "[]", 400, "input.json"),
                ("an unknown field", #"{"coment": "x"}"#, 400, "input.unknown_field"),
                ("a null", #"{"comment": null}"#, 400, "input.field_type"),
                ("a number for text", #"{"comment": 7}"#, 400, "input.field_type"),
                ("a NUL", #"{"comment": "a\u0000b"}"#, 422, "input.nul"),
                ("blanks only", #"{"comment": "   "}"#, 422, "input.empty"),
                ("a date that is not one", #"{"data": {"publish_at": "next-tuesday"}}"#, 422, "input.invalid_data"),
                ("a field given twice", #"{"comment": "a", "comment": "b"}"#, 400, "input.duplicate_field"),
                (
                    "a NUL hidden behind a duplicate", #"{"data": {"k": "a\u0000b"}, "data": {}}"#, 400,
                    "input.duplicate_field"
                ),
                (
                    "a duplicate written as an escape", #"{"comment": "a", "\u0063omment": "b"}"#, 400,
                    "input.duplicate_field"
                ),
            ]
            for (what, body, status, code) in cases {
                let answer = try await api.call(
                    .post, "/api/v1/items/\(id)/transitions/submit", as: "alice", json: body)
                #expect(answer.status == status && answer.code == code, "\(what): \(answer)")
            }
            let replacement = try await api.call(
                .post, "/api/v1/items/\(id)/transitions/submit", as: "alice", json: "{}",
                headers: [HTTPField.Name("Idempotency-Key")!: "caf\u{E9}"])
            #expect(replacement.status == 400 && replacement.code == "input.idempotency_key", "\(replacement)")
            let broken =
                String(repeating: "stages:\n  - bogus: 1\n", count: 1)
                + (0..<300).map { "k\($0): v\n" }.joined()
            let validated = try await api.call(
                .post, "/api/v1/workflows/validate", as: "eve",
                json: String(data: try JSONSerialization.data(withJSONObject: ["source": broken]), encoding: .utf8))
            let findings = (validated.json["findings"] as? [Any])?.count ?? 0
            #expect(validated.status == 200 && findings == 200, "\(validated)")
            #expect((validated.json["omitted"] as? Int ?? 0) > 0, "\(validated)")
            let hugeSource = String(repeating: "# a comment line\n", count: 5000)
            let tooBig = try await api.call(
                .post, "/api/v1/workflows/validate", as: "eve",
                json: String(data: try JSONSerialization.data(withJSONObject: ["source": hugeSource]), encoding: .utf8))
            #expect(tooBig.status == 422 && tooBig.code == "input.too_long", "\(tooBig)")
            let form = try await api.call(
                .post, "/api/v1/items/\(id)/comments", as: "alice", json: "text=hi",
                headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(form.status == 415, "\(form)")
            let huge = String(repeating: "a", count: 300 * 1024)
            let tooLarge = try await api.call(
                .post, "/api/v1/items/\(id)/comments", as: "alice", json: #"{"text": "\#(huge)"}"#)
            #expect(tooLarge.status == 413 && tooLarge.code == "input.too_large", "\(tooLarge)")
            let longTitle = String(repeating: "t", count: 501)
            let titled = try await api.call(
                .post, "/api/v1/items", as: "carol", json: #"{"workflow": "exec-post", "title": "\#(longTitle)"}"#)
            #expect(titled.status == 422 && titled.code == "input.too_long", "\(titled)")

            // What looks like SQL, markup or right-to-left text is stored and returned as typed.
            let typed = #"Robert'); drop table items; -- <script>alert(1)</script> \u202e مرحبا 👋"#
            let commented = try await api.call(
                .post, "/api/v1/items/\(id)/comments", as: "alice", json: #"{"text": "\#(typed)"}"#)
            #expect(commented.status == 201, "\(commented)")
            let stored = (commented.json["comments"] as? [[String: Any]])?.last?["body"] as? String
            #expect(stored == "Robert'); drop table items; -- <script>alert(1)</script> \u{202E} مرحبا 👋")
            let items = try await api.call(.get, "/api/v1/items?workflow=x'%20or%201=1--", as: "alice")
            #expect(items.status == 200 && (items.json["items"] as? [Any])?.isEmpty == true, "\(items)")

            for path in ["/api/v1/items/abc", "/api/v1/items/0", "/api/v1/items/999999"] {
                let missing = try await api.call(.get, path, as: "alice")
                #expect(missing.status == 404 && missing.code?.hasPrefix("not_found") == true, "\(path): \(missing)")
            }
            let nul = try await api.call(.get, "/api/v1/workflows/a%00b", as: "alice")
            #expect(nul.status == 422 && nul.code == "input.nul", "\(nul)")
            let route = try await api.call(.get, "/api/v1/nowhere", as: "alice")
            #expect(route.status == 404 && route.code == "not_found.route", "\(route)")
            let method = try await api.call(.put, "/api/v1/items/\(id)", as: "alice", json: "{}")
            #expect(method.status == 405 && method.headers[.allow] == "GET", "\(method)")
        }
    }
}
