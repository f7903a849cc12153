import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibPQ
import NIOCore
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine

/// A browser's view of the pages over real HTTP: cookies, forms, redirects.
extension APIFixture {
    /// One page request: with a session cookie, and a form body when given.
    @discardableResult
    func page(
        _ method: HTTPRequest.Method, _ uri: String, cookie: String? = nil, form: [String: String]? = nil
    ) async throws -> Answer {
        var headers: HTTPFields = [:]
        if let cookie { headers[.cookie] = "\(WebSessionCookie.name)=\(cookie)" }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            body = ByteBuffer(
                string: form.sorted { $0.key < $1.key }.map {
                    "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
                }.joined(separator: "&"))
        }
        return Answer(response: try await client.execute(uri: uri, method: method, headers: headers, body: body))
    }

    /// The `count`-th message of the sign-in channel (1-based), once it is there: links go out
    /// after the page answers, so this waits for the line (up to a minute), never a fixed time.
    func signInMessage(_ count: Int) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOf: signInChannel, encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n")
            if lines.count >= count {
                return try #require(
                    try JSONSerialization.jsonObject(with: Data(lines[count - 1].utf8)) as? [String: Any])
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw PodiumError(.database, "sign-in message \(count) never arrived")
    }

    /// Lines in the sign-in channel now.
    var signInMessages: Int {
        ((try? String(contentsOf: signInChannel, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    /// Signs `handle` in the way a person does: a sign-in link from the page, sent through their
    /// channel, opened, and its button pressed. Returns the session cookie and the forms' token.
    func signIn(_ handle: String) async throws -> (cookie: String, csrf: String) {
        let before = signInMessages
        let asked = try await page(.post, "/signin", form: ["handle": handle])
        #expect(asked.status == 200, "\(asked)")
        let message = try await signInMessage(before + 1)
        #expect(message["recipient"] as? String == handle && message["kind"] as? String == "sign_in")
        let link = try #require(message["link"] as? String)
        let path = String(link.dropFirst("https://podium.test".count))
        let signedIn = try await page(.post, path)
        #expect(signedIn.status == 303, "\(signedIn)")
        let cookie = try #require(signedIn.headers[.setCookie]?.split(separator: ";").first?.split(separator: "=").last)
        let inbox = try await page(.get, "/inbox", cookie: String(cookie))
        return (String(cookie), try #require(inbox.formToken))
    }

    /// A link that lets `actor` fire `transition` on `item` as it stands now.
    func link(_ actor: String, _ transition: String, on item: Int, expiresIn: TimeInterval = 3600) async throws
        -> String
    {
        let row = try await fixture.pool.query("select visit_id, revision from items where id = \(item)").single()
        return "/act/"
            + ActionLink(
                actor: actor, item: item, visit: try row.decode(Int.self, "visit_id"),
                revision: try row.decode(Int.self, "revision"), transition: transition,
                expiresAt: Date().addingTimeInterval(expiresIn)
            ).token(signedWith: key)
    }

    func revision(_ item: Int) async throws -> Int {
        try await fixture.pool.query("select revision from items where id = \(item)").single().decode(
            Int.self, "revision")
    }

    /// A post by alice (executive) in bob's (coach) private review.
    func postInReview(title: String = "Why we opened our roadmap") async throws -> Int {
        let item = try await fixture.item("exec-post", title: title, withCoach: true)
        let engine = fixture.engine(at: Date())
        _ = try await engine.fire(item: item.id, transition: "start_draft", actor: "alice")
        _ = try await engine.fire(
            item: item.id, transition: "submit", actor: "alice",
            data: ["body": "We listen first.", "publish_at": "2030-03-10T09:00:00Z"])
        return item.id
    }
}

/// The session cookie's name as the server sets it.
enum WebSessionCookie {
    static let name = "podium_session"
}

extension Answer {
    /// The CSRF token of the page's first form, if it has one.
    var formToken: String? {
        guard let range = text.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else {
            return nil
        }
        return String(text[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
    }

    /// The value of a hidden field `name` on the page.
    func hidden(_ name: String) -> String? {
        guard let range = text.range(of: #"name="\#(name)" value="([^"]*)""#, options: .regularExpression) else {
            return nil
        }
        return String(text[range].dropFirst(#"name="\#(name)" value=""#.count).dropLast())
    }
}

@Suite("The people's pages: sign-in, inbox, items, links, console", .serialized)
struct WebTests {
    @Test func signInByALinkSentThroughTheirChannel() async throws {
        try await APIFixture.run { api in
            // Nobody named so: the same answer, and nothing is sent.
            let unknown = try await api.page(.post, "/signin", form: ["handle": "mallory"])
            #expect(unknown.status == 200 && unknown.text.contains("a sign-in link is on its way"), "\(unknown)")

            _ = try await api.page(.post, "/signin", form: ["handle": "alice"])
            let message = try await api.signInMessage(1)
            #expect(message["recipient"] as? String == "alice", "mallory's request sent something")
            let link = try #require(message["link"] as? String)
            let path = String(link.dropFirst("https://podium.test".count))
            // Opening the link (a mail scanner does) signs nobody in and does not use it up.
            for _ in 0..<2 {
                let opened = try await api.page(.get, path)
                #expect(opened.status == 200 && opened.text.contains("Sign in as Alice Chen?"), "\(opened)")
                #expect(opened.headers[.setCookie] == nil)
            }
            let signedIn = try await api.page(.post, path)
            #expect(signedIn.status == 303 && signedIn.headers[.location] == "/inbox", "\(signedIn)")
            let cookie = try #require(signedIn.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "\(cookie)")
            #expect(cookie.contains("Secure"), "an https server's cookie is sent over https only: \(cookie)")
            // A link signs in once.
            let again = try await api.page(.post, path)
            #expect(again.status == 410 && again.text.contains("used already"), "\(again)")

            let value = String(try #require(cookie.split(separator: ";").first?.split(separator: "=").last))
            let inbox = try await api.page(.get, "/inbox", cookie: value)
            #expect(inbox.status == 200 && inbox.text.contains("Alice Chen (alice)"), "\(inbox)")
            #expect(inbox.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            // Signing out ends the session on the server, not only in the browser.
            let out = try await api.page(
                .post, "/signout", cookie: value, form: ["csrf": try #require(inbox.formToken)])
            #expect(out.status == 303, "\(out)")
            let after = try await api.page(.get, "/inbox", cookie: value)
            #expect(after.status == 303 && after.headers[.location]?.hasPrefix("/signin") == true, "\(after)")
        }
    }

    @Test func pagesShowWhatPeopleTypedAsText() async throws {
        try await APIFixture.run { api in
            let item = try await api.postInReview(title: "<script>alert('title')</script> & more")
            try await api.fixture.engine().comment(
                item: item, actor: "bob", text: "<img src=x onerror=alert(1)> \"quoted\"")
            let (cookie, _) = try await api.signIn("bob")
            for path in ["/inbox", "/items/\(item)"] {
                let page = try await api.page(.get, path, cookie: cookie)
                #expect(page.status == 200, "\(page)")
                #expect(!page.text.contains("<script>") && !page.text.contains("<img"), "\(path) renders markup")
                #expect(page.text.contains("&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; &amp; more"), "\(path)")
            }
            let itemPage = try await api.page(.get, "/items/\(item)", cookie: cookie)
            #expect(itemPage.text.contains("&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot;"))
        }
    }

    @Test func noPageShowsAnotherPersonsItem() async throws {
        try await APIFixture.run { api in
            let item = try await api.postInReview(title: "Alice's private draft")
            let (cookie, csrf) = try await api.signIn("dana")
            let page = try await api.page(.get, "/items/\(item)", cookie: cookie)
            #expect(page.status == 404 && !page.text.contains("private draft"), "\(page)")
            let unknown = try await api.page(.get, "/items/999999", cookie: cookie)
            #expect(unknown.status == 404 && unknown.text.contains("no item 999999"))
            #expect(page.text.contains("no item \(item)"), "another's item answers as an unknown one does")
            let inbox = try await api.page(.get, "/inbox", cookie: cookie)
            #expect(!inbox.text.contains("private draft"))
            let comment = try await api.page(
                .post, "/items/\(item)/comments", cookie: cookie, form: ["csrf": csrf, "text": "hi"])
            #expect(comment.status == 404, "\(comment)")
            let link = try await api.link("dana", "approve", on: item)
            #expect(try await api.page(.get, link).status == 404)
            // The API answers the same.
            let api404 = try await api.call(.get, "/api/v1/items/\(item)", as: "dana")
            #expect(api404.status == 404 && api404.code == "not_found.item", "\(api404)")
            // Acting on it answers the same, never "dana takes no part in item N".
            for (path, body) in [
                ("/api/v1/items/\(item)/comments", #"{"text": "hi"}"#),
                ("/api/v1/items/\(item)/transitions/approve", "{}"),
                ("/api/v1/items/\(item)/assignments", #"{"role": "coach", "actor": "dana"}"#),
            ] {
                let acted = try await api.call(.post, path, as: "dana", json: body)
                #expect(acted.status == 404 && acted.code == "not_found.item", "\(path): \(acted)")
            }
            // Nor does a stale revision tell her the item exists.
            let stale = try await api.call(
                .post, "/api/v1/items/\(item)/transitions/approve", as: "dana", json: "{}", headers: [.ifMatch: "\"1\""]
            )
            #expect(stale.status == 404 && stale.code == "not_found.item", "\(stale)")
        }
    }

    @Test func aFormWithoutTheSessionsTokenChangesNothing() async throws {
        try await APIFixture.run { api in
            let item = try await api.postInReview()
            let (cookie, csrf) = try await api.signIn("bob")
            let revision = try await api.revision(item)
            for form in [["revision": "\(revision)"], ["csrf": "", "revision": "\(revision)"], ["csrf": csrf + "x"]] {
                let posted = try await api.page(.post, "/items/\(item)/transitions/approve", cookie: cookie, form: form)
                #expect(posted.status == 403 && posted.text.contains("nothing was done"), "\(posted)")
            }
            // Another session's token is not this session's.
            let (_, aliceToken) = try await api.signIn("alice")
            let crossed = try await api.page(
                .post, "/items/\(item)/transitions/approve", cookie: cookie, form: ["csrf": aliceToken])
            #expect(crossed.status == 403)
            #expect(try await api.revision(item) == revision)
        }
    }

    @Test func aSessionActsOnlyInRolesItsPersonHolds() async throws {
        try await APIFixture.run { api in
            let item = try await api.postInReview()
            let revision = try await api.revision(item)
            let (alice, aliceCSRF) = try await api.signIn("alice")
            // Alice's own page offers her no approval; posting one anyway is refused by the decider.
            let page = try await api.page(.get, "/items/\(item)", cookie: alice)
            #expect(!page.text.contains("transitions/approve"), "offered what she may not do")
            let refused = try await api.page(
                .post, "/items/\(item)/transitions/approve", cookie: alice,
                form: ["csrf": aliceCSRF, "revision": "\(revision)"])
            #expect(refused.status == 403 && refused.text.contains("Nothing was changed"), "\(refused)")
            #expect(try await api.revision(item) == revision)

            let (bob, bobCSRF) = try await api.signIn("bob")
            let approved = try await api.page(
                .post, "/items/\(item)/transitions/request_changes", cookie: bob,
                form: ["csrf": bobCSRF, "revision": "\(revision)", "comment": "Lead with the customer."])
            #expect(approved.status == 303, "\(approved)")
            let history = try await api.fixture.engine().history(item)
            #expect(history.last?.transition == "request_changes" && history.last?.via == "web")
            #expect(history.last?.comment == "Lead with the customer.")
            // A form sent from a page read before that change is refused, not applied twice.
            let stale = try await api.page(
                .post, "/items/\(item)/transitions/request_changes", cookie: bob,
                form: ["csrf": bobCSRF, "revision": "\(revision)", "comment": "again"])
            #expect(stale.status != 303, "\(stale)")
        }
    }

    @Test func aLinkActsOnceAndOnlyFromItsPage() async throws {
        try await APIFixture.run { api in
            let item = try await api.postInReview()
            let link = try await api.link("bob", "approve", on: item)
            let revision = try await api.revision(item)
            let opened = try await api.page(.get, link)
            #expect(opened.status == 200 && opened.text.contains("Opening this link changed nothing"), "\(opened)")
            #expect(opened.headers[.init("Referrer-Policy")!] == "same-origin")
            #expect(try await api.revision(item) == revision, "opening a link acted")
            let unconfirmed = try await api.page(.post, link, form: ["comment": "ok"])
            #expect(unconfirmed.status == 403)
            #expect(try await api.revision(item) == revision)

            let confirm = try #require(opened.hidden("confirm"))
            let acted = try await api.page(.post, link, form: ["confirm": confirm])
            #expect(acted.status == 200 && acted.text.contains("Done"), "\(acted)")
            let history = try await api.fixture.engine().history(item)
            #expect(
                history.last?.transition == "approve" && history.last?.actor == "bob" && history.last?.via == "link")

            let twice = try await api.page(.post, link, form: ["confirm": confirm])
            #expect(twice.status == 410 && twice.text.contains("used already"), "\(twice)")
            #expect(try await api.fixture.historyCount(item) == history.count)
            let reopened = try await api.page(.get, link)
            #expect(reopened.status == 410 && reopened.text.contains("/items/\(item)"), "\(reopened)")
        }
    }

    @Test func staleTamperedAndExpiredLinksSaySo() async throws {
        try await APIFixture.run { api in
            let item = try await api.postInReview()
            let old = try await api.link("bob", "approve", on: item)
            try await api.fixture.engine().comment(item: item, actor: "alice", text: "one more thing")
            _ = try await api.fixture.engine(at: Date()).fire(
                item: item, transition: "request_changes", actor: "bob", comment: "shorter")
            let stale = try await api.page(.get, old)
            #expect(stale.status == 409 && stale.text.contains("has changed since this link was sent"), "\(stale)")

            let fresh = try await api.link("alice", "submit", on: item)
            var tampered = Array(fresh)
            tampered[fresh.count / 2] = tampered[fresh.count / 2] == "A" ? "B" : "A"
            let refused = try await api.page(.get, String(tampered))
            #expect(refused.status == 404 && refused.text.contains("not one Podium made"), "\(refused)")

            let expired = try await api.link("alice", "submit", on: item, expiresIn: -1)
            let late = try await api.page(.get, expired)
            #expect(late.status == 410 && late.text.contains("expired"), "\(late)")
            // A link for a transition its person may not fire offers nothing.
            let notHers = try await api.link("alice", "approve", on: item)
            let offered = try await api.page(.get, notHers)
            #expect(offered.status == 403 && !offered.text.contains("<form class=\"card act\""), "\(offered)")
        }
    }

    @Test func theConsoleIsForThoseWhoRunThePrograms() async throws {
        try await APIFixture.run { api in
            let item = try await api.postInReview(title: "A post stuck in review")
            let (alice, _) = try await api.signIn("alice")
            let refused = try await api.page(.get, "/console", cookie: alice)
            #expect(refused.status == 403, "\(refused)")
            let anonymous = try await api.page(.get, "/console/stuck")
            #expect(anonymous.status == 303)

            let (carol, csrf) = try await api.signIn("carol")
            let board = try await api.page(.get, "/console", cookie: carol)
            #expect(board.status == 200 && board.text.contains("Private review"), "\(board)")
            // A fix previews first and changes nothing; carol (a community manager, not an
            // admin) is told by the core that moving needs an admin.
            let revision = try await api.revision(item)
            let preview = try await api.page(
                .post, "/console/fix", cookie: carol,
                form: [
                    "csrf": csrf, "action": "move", "item": "\(item)", "stage": "draft", "reason": "stuck",
                    "mode": "preview",
                ])
            #expect(preview.status == 403 && preview.text.contains("only admins may override"), "\(preview)")
            try await api.fixture.pool.execute(
                "update actors set roles = '{community_manager,admin}' where handle = 'carol'")
            let allowed = try await api.page(
                .post, "/console/fix", cookie: carol,
                form: [
                    "csrf": csrf, "action": "move", "item": "\(item)", "stage": "draft", "reason": "stuck",
                    "mode": "preview",
                ])
            #expect(
                allowed.status == 200
                    && allowed.text.contains("move “A post stuck in review” from private_review to draft"), "\(allowed)"
            )
            #expect(try await api.revision(item) == revision, "a preview changed the item")
            let applied = try await api.page(
                .post, "/console/fix", cookie: carol,
                form: [
                    "csrf": csrf, "action": "move", "item": "\(item)", "stage": "draft", "reason": "stuck",
                    "mode": "apply",
                ])
            #expect(applied.status == 303, "\(applied)")
            let last = try #require(try await api.fixture.engine().history(item).last)
            #expect(last.kind == "override" && last.actor == "carol" && last.comment == "stuck" && last.via == "web")
        }
    }
}

@Suite("Who may see an item: one rule for a page of items and for one item")
struct ReadRuleTests {
    /// The list's SQL filter and the decider's `mayRead` agree for every person and item: the
    /// item's people, holders of its workflow's roles, its creator and admins, and nobody else.
    /// A community manager's feed of a whole program lists every open item of it, whoever it
    /// waits on; her own feed lists only what waits on her; the two live side by side, and only
    /// those who run programs may have a program's.
    @Test func aProgramsCalendarFeedForTheCommunityManager() async throws {
        try await APIFixture.run { api in
            let engine = api.fixture.engine(at: Date())
            let first = try await api.fixture.item("exec-post", title: "Roadmap, in the open", withCoach: true)
            let second = try await api.fixture.item("exec-post", title: "What support taught me", withCoach: true)
            _ = try await api.fixture.item("start-small", title: "Another program's")
            _ = try await engine.fire(item: second.id, transition: "start_draft", actor: "alice")
            let feeds = CalendarFeeds(pool: api.fixture.pool)
            let refused = await #expect(throws: PodiumError.self) {
                try await feeds.create(for: "alice", workflow: "exec-post")
            }
            #expect(refused?.code == "refused.not_permitted")
            let unknown = await #expect(throws: PodiumError.self) {
                try await feeds.create(for: "carol", workflow: "no-such-program")
            }
            #expect(unknown?.code == "not_found.workflow")
            let (_, own) = try await feeds.create(for: "carol")
            let (_, program) = try await feeds.create(for: "carol", workflow: "exec-post")
            let feed = try await api.page(.get, "/calendar/\(program).ics")
            #expect(feed.status == 200 && feed.headers[.contentType] == "text/calendar; charset=utf-8", "\(feed)")
            let text = feed.text
            #expect(text.contains("X-WR-CALNAME:Podium: exec-post"), "\(text)")
            #expect(text.contains("SUMMARY:Due: Roadmap\\, in the open (Listen first)"), "\(text)")
            #expect(text.contains("SUMMARY:Due: What support taught me (Draft"), "\(text)")
            #expect(!text.contains("Another program's"), "\(text)")
            #expect(text.contains("/items/\(first.id)"))
            // Her own feed still answers, with what waits on her alone.
            let mine = try await api.page(.get, "/calendar/\(own).ics")
            #expect(mine.status == 200 && !mine.text.contains("Roadmap"), "\(mine)")
        }
    }

    /// My tasks: a person chooses a daily digest and a pause, and is away with a stand-in.
    @Test func peopleChooseHowPodiumReachesThemAndWhoStandsIn() async throws {
        try await APIFixture.run { api in
            let (cookie, csrf) = try await api.signIn("alice")
            let saved = try await api.page(
                .post, "/preferences", cookie: cookie,
                form: ["csrf": csrf, "delivery": "digest", "digest_at": "07:45", "pause_until": ""])
            #expect(saved.status == 303, "\(saved)")
            var alice = try await ActorStore(pool: api.fixture.pool).find("alice")
            #expect(alice.delivery == .digest && alice.digestAt == "07:45", "\(alice)")
            let wrong = try await api.page(
                .post, "/preferences", cookie: cookie, form: ["csrf": csrf, "digest_at": "25:00"])
            #expect(wrong.status == 422 && wrong.text.contains("a digest time is HH:MM"), "\(wrong)")
            let soon = String(DataDate.format(Date().addingTimeInterval(10 * 86_400)).prefix(10))
            let tooLong = try await api.page(
                .post, "/preferences", cookie: cookie, form: ["csrf": csrf, "pause_until": "2099-01-01"])
            #expect(tooLong.status == 422 && tooLong.text.contains("at most a year"), "\(tooLong)")
            let paused = try await api.page(
                .post, "/preferences", cookie: cookie, form: ["csrf": csrf, "pause_until": soon])
            #expect(paused.status == 303, "\(paused)")
            alice = try await ActorStore(pool: api.fixture.pool).find("alice")
            #expect(alice.pausedUntil != nil)
            let away = try await api.page(
                .post, "/away", cookie: cookie, form: ["csrf": csrf, "until": soon, "delegate": "nobody"])
            #expect(away.status == 404 && away.text.contains("no actor named nobody"), "\(away)")
        }
    }

    @Test func theListAndTheItemAgree() async throws {
        try await EngineFixture.run { fixture in
            try await fixture.pool.execute("update actors set roles = '{admin}' where handle = 'eve'")
            let engine = fixture.engine(at: Date())
            _ = try await fixture.item("exec-post", title: "Alice and Bob", withCoach: true)
            _ = try await fixture.item("start-small", title: "Alice alone")
            _ = try await engine.create(
                workflow: "exec-post", title: "Dana's", author: "carol",
                participants: [Participant(role: "executive", actor: "dana")], data: [:])
            _ = try await ActorStore(pool: fixture.pool).add(
                handle: "zed", name: "Zed", roles: ["coach"], timezone: "UTC", channel: nil, workingHours: nil)
            // Sam stands in for Dana while she is away: he sees what she sees, by both rules.
            _ = try await ActorStore(pool: fixture.pool).add(
                handle: "sam", name: "Sam", roles: [], timezone: "UTC", channel: nil, workingHours: nil)
            _ = try await AbsenceStore(pool: fixture.pool).away(
                "dana", from: nil, until: .instant(Date().addingTimeInterval(86_400)), delegate: "sam", note: nil,
                by: "dana")
            var seen: [String: [Int]] = [:]
            for handle in ["alice", "bob", "carol", "dana", "eve", "zed", "sam"] {
                let person = try await ActorStore(pool: fixture.pool).find(handle).identity
                let listed = Set(try await engine.list(includeClosed: true, readableBy: person).map(\.id))
                let all = try await engine.list(includeClosed: true).map(\.id)
                #expect(try await engine.readable(all, by: person) == listed, "\(handle)")
                for item in try await engine.list(includeClosed: true) {
                    let readable: Bool
                    do {
                        _ = try await engine.show(item.id, reader: person)
                        readable = true
                    } catch let error as PodiumError where error.kind == .notFound {
                        readable = false
                    }
                    #expect(listed.contains(item.id) == readable, "\(handle) and item \(item.id)")
                }
                seen[handle] = listed.sorted()
            }
            #expect(seen["alice"]?.count == 2 && seen["dana"]?.count == 1 && seen["bob"]?.count == 1)
            #expect(seen["carol"]?.count == 3 && seen["eve"]?.count == 3)
            #expect(seen["zed"]?.count == 3, "a global coach sees every item of programs with coaches")
            #expect(seen["sam"] == seen["dana"], "a stand-in sees what the person away sees")
        }
    }
}

/// The faults an attack on the pages found, each kept as a test.
@Suite("The pages under attack", .serialized)
struct WebAttackTests {
    /// Asking for someone's links over and over only sends them links they hold (at most one a
    /// minute, five an hour), never locks them out, and the answer is always the same.
    @Test func askingForLinksNeitherFloodsNorLocksOut() async throws {
        try await APIFixture.run { api in
            for _ in 0..<6 {
                let asked = try await api.page(.post, "/signin", form: ["handle": "bob"])
                #expect(asked.status == 200 && asked.text.contains("on its way"), "\(asked)")
            }
            let first = try await api.signInMessage(1)
            #expect(first["recipient"] as? String == "bob")
            // Bob's own request sends nothing new, but the link he was sent works.
            #expect(api.signInMessages == 1, "a second link went out within a minute")
            let link = String(try #require(first["link"] as? String).dropFirst("https://podium.test".count))
            #expect(try await api.page(.post, link).status == 303)
        }
    }

    /// A form posted from another site, including the sign-in button of the attacker's own link
    /// (login CSRF), is refused; a same-origin post is not.
    @Test func formsFromAnotherSiteAreRefused() async throws {
        try await APIFixture.run { api in
            let item = try await api.postInReview()
            let cases: [(String, String)] = [
                ("Origin", "https://evil.example"), ("Origin", "null"), ("Sec-Fetch-Site", "cross-site"),
                ("Sec-Fetch-Site", "same-site"),
            ]
            for (name, value) in cases {
                let link = try await WebSessions(pool: api.fixture.pool).requestSignInLink(for: "eve", throttled: false)
                guard case .issued(let token, _) = link else { Issue.record("no link"); return }
                let posted = try await api.client.execute(
                    uri: "/signin/\(token)", method: .post, headers: [.init(name)!: value], body: nil)
                #expect(posted.status == .forbidden && posted.headers[.setCookie] == nil, "\(name): \(value)")
                let act = try await api.link("bob", "approve", on: item)
                let acted = try await api.client.execute(
                    uri: act, method: .post,
                    headers: [.init(name)!: value, .contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "confirm=x"))
                #expect(acted.status == .forbidden, "\(name): \(value)")
            }
            let link = try await WebSessions(pool: api.fixture.pool).requestSignInLink(for: "eve", throttled: false)
            guard case .issued(let token, _) = link else { Issue.record("no link"); return }
            let sameSite = try await api.client.execute(
                uri: "/signin/\(token)", method: .post,
                headers: [.init("Sec-Fetch-Site")!: "same-origin"], body: nil)
            #expect(sameSite.status == .seeOther)
            // Without Sec-Fetch-Site, the Origin must be the server as people reach it, scheme included.
            for (origin, allowed) in [("https://podium.test", true), ("http://podium.test", false)] {
                let link = try await WebSessions(pool: api.fixture.pool).requestSignInLink(for: "eve", throttled: false)
                guard case .issued(let token, _) = link else { Issue.record("no link"); return }
                let posted = try await api.client.execute(
                    uri: "/signin/\(token)", method: .post, headers: [.origin: origin], body: nil)
                #expect((posted.status == .seeOther) == allowed, "\(origin): \(posted.status)")
            }
        }
    }

    @Test func formsThatAreTooLargeOrNotUTF8AreRefusedAsSuch() async throws {
        try await APIFixture.run { api in
            let large = try await api.client.execute(
                uri: "/signin", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "handle=" + String(repeating: "a", count: 70_000)))
            #expect(large.status == .contentTooLarge, "\(large.status)")
            let latin1 = try await api.client.execute(
                uri: "/signin", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded; charset=ISO-8859-1"],
                body: ByteBuffer(string: "handle=caf%E9"))
            #expect(latin1.status == .unsupportedMediaType)
            let invalid = try await api.client.execute(
                uri: "/signin", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "handle=%FF%FE"))
            #expect(invalid.status == .badRequest)
            let prefixed = try await api.client.execute(
                uri: "/signin", method: .post, headers: [.contentType: "application/x-www-form-urlencodedfoo"],
                body: ByteBuffer(string: "handle=x"))
            #expect(prefixed.status == .unsupportedMediaType)
            #expect(!api.log.all.contains { $0.contains("page failed") }, "a refusal was logged as a failure")
        }
    }

    /// After signing in, the person lands where they were going (a path of this server only).
    @Test func signingInReturnsToThePageAskedFor() async throws {
        try await APIFixture.run { api in
            let item = try await api.postInReview()
            let away = try await api.page(.get, "/items/\(item)")
            #expect(away.status == 303 && away.headers[.location] == "/signin?next=%2Fitems%2F\(item)", "\(away)")
            // A form posted after the session ended returns to its item's page, not to the form's address.
            let posted = try await api.page(.post, "/items/\(item)/transitions/approve", form: ["revision": "1"])
            #expect(posted.headers[.location] == "/signin?next=%2Fitems%2F\(item)", "\(posted)")
            let form = try await api.page(.get, try #require(away.headers[.location]))
            #expect(form.hidden("next") == "/items/\(item)", "\(form)")
            _ = try await api.page(.post, "/signin", form: ["handle": "bob", "next": "/items/\(item)"])
            let link = try #require(try await api.signInMessage(1)["link"] as? String)
            #expect(link.hasSuffix("?next=/items/\(item)"), "\(link)")
            let signedIn = try await api.page(.post, String(link.dropFirst("https://podium.test".count)))
            #expect(signedIn.headers[.location] == "/items/\(item)", "\(signedIn)")
            // Anywhere else is refused: the inbox it is.
            for elsewhere in ["//evil.example", "https://evil.example", "/\\evil.example", "/x\r\nSet-Cookie:a=b"] {
                let link = try await WebSessions(pool: api.fixture.pool).requestSignInLink(for: "bob", throttled: false)
                guard case .issued(let token, _) = link else { Issue.record("no link"); return }
                var allowed = CharacterSet.alphanumerics
                allowed.insert(charactersIn: "-._~")
                let query = elsewhere.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
                let answer = try await api.page(.post, "/signin/\(token)?next=\(query)")
                #expect(answer.headers[.location] == "/inbox", "\(elsewhere): \(answer)")
            }
        }
    }

    /// A link cannot put words of its own on a page.
    @Test func noticesAreOnlyThoseThePagesWrite() async throws {
        try await APIFixture.run { api in
            let item = try await api.postInReview()
            let (bob, _) = try await api.signIn("bob")
            let crafted = try await api.page(
                .get, "/items/\(item)?done=your_session_expired._Sign_in_at_evil.example", cookie: bob)
            #expect(crafted.status == 200 && !crafted.text.contains("evil.example"), "\(crafted)")
            let (carol, _) = try await api.signIn("carol")
            let console = try await api.page(.get, "/console/stuck?done=Call%20us%20at%20evil&item=1", cookie: carol)
            #expect(!console.text.contains("Call us"), "\(console)")
            let unknown = try await api.page(.get, "/console/workflows/nope/stages/x", cookie: carol)
            #expect(unknown.status == 404 && unknown.headers[.contentType]?.hasPrefix("text/html") == true)
            let noRoute = try await api.page(.get, "/no-such-page", cookie: carol)
            #expect(noRoute.status == 404 && noRoute.text.contains("<h1>Not found</h1>"), "\(noRoute)")
        }
    }

    /// A link stays good while its item stays in the visit it was sent for: a second coach named
    /// since (or another approver's approval) does not spoil it; the page says the item changed.
    @Test func aLinkOutlivesChangesThatDoNotMoveTheItem() async throws {
        try await APIFixture.run { api in
            let item = try await api.postInReview()
            let link = try await api.link("bob", "approve", on: item)
            _ = try await api.fixture.engine().assign(item: item, role: "coach", to: "dana", actor: "carol")
            let opened = try await api.page(.get, link)
            #expect(
                opened.status == 200 && opened.text.contains("has changed since this message was sent"), "\(opened)")
            let acted = try await api.page(
                .post, link,
                form: [
                    "confirm": try #require(opened.hidden("confirm")),
                    "revision": try #require(opened.hidden("revision")),
                ])
            #expect(acted.status == 200 && acted.text.contains("Done"), "\(acted)")
            // A page read before a change is shown again as the item stands, not acted on.
            let second = try await api.postInReview(title: "Another")
            let other = try await api.link("bob", "approve", on: second)
            let page = try await api.page(.get, other)
            _ = try await api.fixture.engine().assign(item: second, role: "coach", to: "dana", actor: "carol")
            let late = try await api.page(
                .post, other,
                form: [
                    "confirm": try #require(page.hidden("confirm")), "revision": try #require(page.hidden("revision")),
                ])
            #expect(late.status == 412 && late.text.contains("Nothing was changed"), "\(late)")
            #expect(try await api.fixture.engine().show(second).stage == "private_review")
        }
    }

    /// A sign-in link never goes to the server's own output (whoever reads its logs could sign
    /// in), unless the server runs with --dev.
    @Test func signInLinksStayOutOfTheServersOutput() async throws {
        try await APIFixture.run { api in
            try await api.fixture.pool.execute("update actors set channel = 'log' where handle = 'bob'")
            let asked = try await api.page(.post, "/signin", form: ["handle": "bob"])
            #expect(asked.status == 200 && asked.text.contains("on its way"))
            #expect(api.log.all.contains { $0.contains("sign-in link not sent") && $0.contains("bob") })
            #expect(!api.log.all.contains { $0.contains("/signin/") }, "a link reached the log")
            #expect(api.signInMessages == 0)
        }
    }

    /// A page without the revision it was read at is refused, not fired without the check.
    @Test func aTransitionFormNamesTheRevisionItWasFor() async throws {
        try await APIFixture.run { api in
            let item = try await api.postInReview()
            let (bob, csrf) = try await api.signIn("bob")
            for form in [["csrf": csrf], ["csrf": csrf, "revision": "abc"]] {
                let posted = try await api.page(.post, "/items/\(item)/transitions/approve", cookie: bob, form: form)
                #expect(posted.status == 400, "\(posted)")
            }
        }
    }

    /// Dates typed on the wall clock: an hour the clocks skip is refused in words; an hour they
    /// repeat, left as the page showed it, keeps its instant; a refused form keeps what was typed.
    @Test func datesOnTheWallClockAcrossClockChanges() async throws {
        try await APIFixture.run { api in
            try await api.fixture.pool.execute("update actors set timezone = 'America/New_York' where handle = 'alice'")
            let item = try await api.fixture.item("exec-post", title: "A post", withCoach: true)
            _ = try await api.fixture.engine(at: Date()).fire(item: item.id, transition: "start_draft", actor: "alice")
            let (alice, csrf) = try await api.signIn("alice")
            func submit(body: String, publishAt: String) async throws -> Answer {
                try await api.page(
                    .post, "/items/\(item.id)/transitions/submit", cookie: alice,
                    form: [
                        "csrf": csrf, "revision": "\(try await api.revision(item.id))", "body": body,
                        "publish_at": publishAt,
                    ])
            }
            let gap = try await submit(body: "My long draft", publishAt: "2030-03-10T02:30")
            #expect(gap.status == 422 && gap.text.contains("does not exist in America/New_York"), "\(gap)")
            #expect(gap.text.contains(">My long draft</textarea>"), "what she typed was lost")
            // 01:30 on 2030-11-03 happens twice in New York; the first is 05:30Z.
            let overlap = try await submit(body: "b", publishAt: "2030-11-03T01:30")
            #expect(overlap.status == 303, "\(overlap)")
            #expect(try await api.fixture.engine().show(item.id).data["publish_at"] == "2030-11-03T05:30:00Z")
            // Stored as the second 01:30 (06:30Z), sent back and resubmitted unchanged: still 06:30Z.
            try await api.fixture.pool.execute(
                "update items set data = jsonb_set(data, '{publish_at}', '\"2030-11-03T06:30:00Z\"') where id = \(item.id)"
            )
            _ = try await api.fixture.engine(at: Date()).fire(
                item: item.id, transition: "request_changes", actor: "bob", comment: "again")
            let page = try await api.page(.get, "/items/\(item.id)", cookie: alice)
            #expect(page.text.contains(#"name="publish_at" value="2030-11-03T01:30""#), "\(page)")
            let again = try await submit(body: "b", publishAt: "2030-11-03T01:30")
            #expect(again.status == 303, "\(again)")
            #expect(try await api.fixture.engine().show(item.id).data["publish_at"] == "2030-11-03T06:30:00Z")
        }
    }

    /// The console hands a one-holder role over in one step (assigning first was refused: the
    /// role was full). Which items it lists and fixes is the read rule (`ReadRuleTests`).
    @Test func theConsoleReassignsARoleInOneStep() async throws {
        try await APIFixture.run { api in
            let item = try await api.postInReview()
            let (carol, csrf) = try await api.signIn("carol")
            let fix = [
                "csrf": csrf, "action": "reassign", "item": "\(item)", "role": "executive", "to": "dana",
                "mode": "preview",
            ]
            let preview = try await api.page(.post, "/console/fix", cookie: carol, form: fix)
            #expect(preview.status == 200 && preview.text.contains("take the executive role from alice"), "\(preview)")
            let applied = try await api.page(
                .post, "/console/fix", cookie: carol, form: fix.merging(["mode": "apply"]) { $1 })
            #expect(applied.status == 303, "\(applied)")
            let people = try await api.fixture.engine().show(item).participants.filter { $0.role == "executive" }
            #expect(people.map(\.actor) == ["dana"])
            let last = try #require(try await api.fixture.engine().history(item).last)
            #expect(last.comment == "dana is now an executive in place of alice", "\(last)")
        }
    }
}
