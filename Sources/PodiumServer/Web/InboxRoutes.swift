import Foundation
import Hummingbird
import LibPQ
import Logging
import PodiumCore
import PodiumWorker
import WorkflowEngine
import WorkflowLanguage

/// The pages people use: sign-in by a link sent through their own channel, their tasks across
/// programs, and each item's page, where they comment and fire the transitions they may. Every
/// action goes through the same ``ItemEngine`` (so the same decider) as the CLI and the API,
/// recorded as coming through the inbox.
struct InboxRoutes {
    let services: PodiumServices
    let pages: WebPages
    let web: WebSettings
    let engine: ItemEngine
    let deliverer: Deliverer

    init(services: PodiumServices, pages: WebPages, web: WebSettings) {
        self.services = services
        self.pages = pages
        self.web = web
        engine = services.engine.entering(through: .web)
        deliverer = Deliverer(environment: web.environment)
    }

    var sessions: WebSessions { WebSessions(pool: services.pool, time: services.clock) }

    func add(to router: RouterGroup<APIRequestContext>) {
        router.get("/") { request, context in
            WebPages.seeOther(context.session == nil ? "/signin" : "/inbox")
        }
        router.get("/static/podium.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: pages.stylesheet))
        }
        router.get("/signin") { request, context in
            pages.render(
                "signin",
                SignInView(
                    page: PageChrome("Sign in", session: context.session), sent: false, handle: "",
                    next: SafeReturn.path(request.uri.queryParameters.get("next")) ?? ""))
        }
        router.post("/signin") { request, context in try await requestSignIn(request, context) }
        router.get("/signin/{token}") { request, context in
            let token = try context.parameters.require("token")
            let person = try await Self.linkProblem { try await sessions.signInLink(token) }
            let next = SafeReturn.path(request.uri.queryParameters.get("next"))
            return pages.render(
                "signin-confirm",
                SignInConfirmView(
                    page: PageChrome("Sign in", session: nil), name: person.name, token: token,
                    query: next.map { "?next=\(SafeReturn.encoded($0))" } ?? ""))
        }
        router.post("/signin/{token}") { request, context in
            let token = try context.parameters.require("token")
            let (cookie, _) = try await Self.linkProblem { try await sessions.signIn(with: token) }
            var headers = HTTPFields()
            headers[.setCookie] = sessionCookie(cookie, maxAge: Int(WebSessions.sessionLifetime)).description
            return WebPages.seeOther(
                SafeReturn.path(request.uri.queryParameters.get("next")) ?? "/inbox", headers: headers)
        }
        router.post("/signout") { request, context in
            _ = try await WebForm.read(request, session: context)
            if let cookie = request.cookies[WebSessionMiddleware.cookieName]?.value {
                try await sessions.signOut(cookie)
            }
            var headers = HTTPFields()
            headers[.setCookie] = sessionCookie("", maxAge: 0).description
            return WebPages.seeOther("/signin", headers: headers)
        }
        router.get("/inbox") { request, context in try await inbox(request, context) }
        router.post("/away") { request, context in
            let (form, session) = try await WebForm.read(request, session: context)
            do {
                let until = form["until"].flatMap { $0.isEmpty ? nil : AbsenceBoundary($0) }
                guard let until else {
                    throw PodiumError(.usage, "say when you are back: a day such as 2027-01-04")
                }
                let from = try form["from"].flatMap { text -> AbsenceBoundary? in
                    guard !text.isEmpty else { return nil }
                    guard let boundary = AbsenceBoundary(text) else {
                        throw PodiumError(.usage, "\"from\" is not a day such as 2026-12-21")
                    }
                    return boundary
                }
                let delegate = form["delegate"].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap {
                    $0.isEmpty ? nil : $0
                }
                _ = try await services.absences.away(
                    session.actor.handle, from: from, until: until, delegate: delegate,
                    note: form["note"].flatMap { $0.isEmpty ? nil : $0 }, by: session.actor.handle)
            } catch let error as PodiumError where [.usage, .refused, .notFound].contains(error.kind) {
                return try await inbox(request, context, error: error)
            }
            return WebPages.seeOther("/inbox")
        }
        router.post("/preferences") { request, context in
            let (form, session) = try await WebForm.read(request, session: context)
            do {
                var changes = ActorChanges(
                    delivery: form["delivery"].flatMap(DeliveryPreference.init(rawValue:)),
                    digestAt: form["digest_at"].flatMap { $0.isEmpty ? nil : $0 })
                if form["resume"] != nil {
                    changes.resume = true
                } else if let text = form["pause_until"], !text.isEmpty {
                    guard let boundary = AbsenceBoundary(text) else {
                        throw PodiumError(.usage, "pause until a day such as 2026-12-24")
                    }
                    changes.pausedUntil = boundary
                }
                _ = try await services.actors.update(session.actor.handle, changes: changes, by: session.actor.handle)
            } catch let error as PodiumError where [.usage, .refused].contains(error.kind) {
                return try await inbox(request, context, error: error)
            }
            return WebPages.seeOther("/inbox")
        }
        router.post("/away/end") { request, context in
            let (_, session) = try await WebForm.read(request, session: context)
            do {
                _ = try await services.absences.back(session.actor.handle, by: session.actor.handle)
            } catch let error as PodiumError where error.kind == .notFound {
                return try await inbox(request, context, error: error)
            }
            return WebPages.seeOther("/inbox")
        }
        router.get("/items/{id}") { request, context in
            let session = try context.requireSession(request)
            return try await itemPage(
                try context.itemID(), session: session, done: request.uri.queryParameters.get("done"))
        }
        router.post("/items/{id}/transitions/{transition}") { request, context in try await fire(request, context) }
        router.post("/items/{id}/comments") { request, context in
            let (form, session) = try await WebForm.read(request, session: context)
            let id = try context.itemID()
            _ = try await engine.show(id, reader: session.actor.identity)
            do {
                try await engine.comment(item: id, actor: session.actor.handle, text: form["text"] ?? "")
            } catch let error as PodiumError where error.kind != .database && error.kind != .schema {
                return try await itemPage(id, session: session, refusal: error)
            }
            return WebPages.seeOther("/items/\(id)#comment-text")
        }
    }

    /// A sign-in link that cannot sign in, with the status that says why: 404 for one Podium
    /// never made, 410 for one used or expired (nothing to authenticate with, so never 401).
    static func linkProblem<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PodiumError where error.kind == .unauthenticated {
            throw Problem(
                status: error.code == "unauthenticated.sign_in_link" ? .notFound : .gone, code: error.code,
                detail: error.message, hint: error.hint.map { "\($0)." })
        }
    }

    func sessionCookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(
            name: WebSessionMiddleware.cookieName, value: value, maxAge: maxAge, path: "/", secure: web.secureCookies,
            httpOnly: true, sameSite: .lax)
    }

    // MARK: Sign-in

    struct SignInView {
        let page: PageChrome
        let sent: Bool
        let handle: String
        /// Where to return after signing in (a path on this server), or empty.
        let next: String
    }

    struct SignInConfirmView {
        let page: PageChrome
        let name: String
        let token: String
        /// `?next=...` for the form's action, or empty.
        let query: String
    }

    /// Sends a sign-in link through the person's own channel. The page answers the same, and as
    /// fast, whether or not the handle exists or the person was throttled: the message goes out
    /// after the answer, so how long a channel takes says nothing either.
    private func requestSignIn(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let form = try await WebForm.read(request)
        let handle = (form["handle"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let next = SafeReturn.path(form["next"])
        let sent = SignInView(
            page: PageChrome("Sign in", session: nil), sent: true, handle: handle, next: next ?? "")
        guard !handle.isEmpty, handle.utf8.count <= 100,
            case .issued(let token, let person) = try await sessions.requestSignInLink(for: handle)
        else { return pages.render("signin", sent) }
        let link = "\(web.publicURL)/signin/\(token)" + (next.map { "?next=\(SafeReturn.encoded($0))" } ?? "")
        let channel: DeliveryChannel
        do {
            channel = try person.channel.map { try DeliveryChannel(spec: $0) } ?? web.defaultChannel
        } catch {
            context.logger.error(
                "sign-in link not sent: the person's channel cannot be read", metadata: ["actor": "\(person.handle)"])
            return pages.render("signin", sent)
        }
        if channel == .log || channel == .text, !web.development {
            context.logger.warning(
                "sign-in link not sent: the person has no channel of their own, and the server's output is no place for it",
                metadata: ["actor": "\(person.handle)"])
            return pages.render("signin", sent)
        }
        // The message in the channel's own form: an email, a chat card, or JSON.
        let key = "sign-in-\(SecretToken.digest(token).prefix(16))"
        let body: Data
        switch channel {
        case .email(let address):
            body = MailMessage(
                to: address, toName: person.name, from: WorkerOptions.mailFrom(web.environment),
                date: services.clock.now(), subject: "Sign in to Podium",
                paragraphs: [
                    "\(person.name),",
                    "Open the button's page within 15 minutes to sign in to Podium; it works once. "
                        + "If you did not ask for it, ignore this message: nothing happens.",
                ],
                action: ("Sign in", link), itemURL: nil, footer: nil, key: key
            ).rendered()
        case .slack, .teams:
            body = ChatCard.signIn(link: link, name: person.name, key: key, on: channel)
        default:
            var writer = JSONObjectWriter()
            writer.add(
                "expires_at", DataDate.format(services.clock.now().addingTimeInterval(WebSessions.signInLifetime)))
            writer.add("idempotency_key", key)
            writer.add("kind", "sign_in")
            writer.add("link", link)
            writer.add("recipient", person.handle)
            writer.add("recipient_name", person.name)
            writer.add("text", "Sign in to Podium: open this link within 15 minutes. It works once.")
            body = writer.finished()
        }
        let (deliverer, logger) = (self.deliverer, context.logger)
        Task {
            do {
                try await deliverer.deliver(body, on: channel)
            } catch {
                logger.error(
                    "sign-in link not delivered", metadata: ["actor": "\(person.handle)", "error": "\(error)"])
            }
        }
        return pages.render("signin", sent)
    }

    // MARK: Inbox and items

    struct InboxView {
        struct Entry {
            let item: ItemPageModel.Heading
            let actions: [ItemPageModel.Action]
            let waitingOn: String?
            /// The person away whose work this is, when the reader has it as their stand-in.
            let standingInFor: String?
        }

        let page: PageChrome
        let zone: String
        let waiting: [Entry]
        let following: [Entry]
        /// The reader's absences that have not ended ("away from ... until ..., Sam stands in").
        let absences: [String]
        let isAway: Bool
        /// How Podium reaches the reader.
        let digest: Bool
        let digestAt: String
        /// "Paused until Thu 24 Dec 00:00", or nil.
        let paused: String?
        /// "You stand in for Dana Kim (dana) while they are away: ...", or nil.
        let standingIn: String?
    }

    /// My tasks; `error` (a refused absence) is shown at the top.
    private func inbox(_ request: Request, _ context: APIRequestContext, error: PodiumError? = nil) async throws
        -> Response
    {
        let session = try context.requireSession(request)
        let inbox = try await engine.inbox(for: session.actor.identity)
        let time = LocalTime(zone: session.actor.timezone, now: services.clock.now())
        let absences = try await services.absences.current(of: session.actor.handle)
        let names = try await services.actors.names(
            of: (inbox.waiting + inbox.following).reduce(into: Set<String>()) {
                $0.formUnion(ItemPageModel.handles(in: $1.item))
            }.union(absences.compactMap(\.delegate) + session.actor.standsInFor.map(\.handle)))
        func named(_ handle: String) -> String { names[handle].map { "\($0) (\(handle))" } ?? handle }
        func entry(_ item: InboxEntry) async throws -> InboxView.Entry {
            let model = ItemPageModel(
                view: item.item,
                definition: try await engine.definition(of: item.item.workflow, version: item.item.version),
                reader: session.actor, time: time, names: names)
            return InboxView.Entry(
                item: model.heading, actions: model.actions(csrf: session.csrfToken), waitingOn: model.waitingOn,
                standingInFor: item.onBehalfOf.map(named))
        }
        var waiting: [InboxView.Entry] = []
        for item in inbox.waiting { waiting.append(try await entry(item)) }
        var following: [InboxView.Entry] = []
        for item in inbox.following { following.append(try await entry(item)) }
        return pages.render(
            "inbox",
            InboxView(
                page: PageChrome(
                    "My tasks", session: session, error: error?.message, errorHint: error?.hint),
                zone: time.name, waiting: waiting, following: following,
                absences: absences.map {
                    "From \(time.instant($0.startsAt)) until \(time.instant($0.backAt)); "
                        + ($0.delegate.map { "\(named($0)) stands in for you." }
                            ?? "nobody stands in: what is yours waits until you are back.")
                },
                isAway: !absences.isEmpty,
                digest: session.actor.delivery == .digest, digestAt: session.actor.digestAt,
                paused: session.actor.pausedUntil.flatMap { $0 > services.clock.now() ? time.instant($0) : nil },
                standingIn: session.actor.standsInFor.isEmpty
                    ? nil
                    : "You stand in for \(session.actor.standsInFor.map { named($0.handle) }.joined(separator: " and ")) "
                        + "while they are away: their work is here too, and what you do is recorded as done for them."),
            status: error.map { Problem($0).status } ?? .ok)
    }

    struct ItemView {
        let page: PageChrome
        let item: ItemPageModel.Heading
        let fields: [ItemPageModel.Field]
        let approvals: [ItemPageModel.Approval]
        let actions: [ItemPageModel.Action]
        let others: [String]
        let waitingOn: String?
        let comments: [ItemPageModel.Comment]
        let csrf: String
        let timeline: [ItemPageModel.Moment]
    }

    /// The item page for `session`'s person; a refusal is shown on it (with the status the API
    /// would give), and nothing changed.
    ///
    /// - Parameter done: the transition just fired (`?done=` after a redirect): "Done: its title"
    ///   is shown when the item's workflow has it, nothing otherwise (a link cannot put words of
    ///   its own on the page).
    func itemPage(
        _ id: Int, session: WebSession, done: String? = nil, refusal: PodiumError? = nil,
        typed: ItemPageModel.Typed? = nil
    ) async throws -> Response {
        let view = try await engine.show(id, reader: session.actor.identity)
        let history = try await engine.history(id)
        let model = ItemPageModel(
            view: view, definition: try await engine.definition(of: view.workflow, version: view.version),
            reader: session.actor, time: LocalTime(zone: session.actor.timezone, now: services.clock.now()),
            names: try await services.actors.names(of: ItemPageModel.handles(in: view, history: history)))
        let notice = done.flatMap { name in model.definition.transitions.first { $0.name == name } }.map {
            "Done: \($0.title ?? ItemPageModel.label(for: $0.name))."
        }
        let page = PageChrome(
            view.title, session: session, notice: notice,
            error: refusal.map { "Nothing was changed: \($0.message)." }, errorHint: refusal?.hint)
        return pages.render(
            "item",
            ItemView(
                page: page, item: model.heading, fields: model.fields, approvals: model.approvals,
                actions: model.actions(csrf: session.csrfToken, typed: typed), others: model.others,
                waitingOn: model.waitingOn,
                comments: model.comments, csrf: session.csrfToken,
                timeline: model.timeline(history)),
            status: refusal.map { Problem($0).status } ?? .ok)
    }

    private func fire(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let (form, session) = try await WebForm.read(request, session: context)
        let id = try context.itemID()
        let name = try context.parameters.require("transition")
        let view = try await engine.show(id, reader: session.actor.identity)
        let definition = try await engine.definition(of: view.workflow, version: view.version)
        let transition = definition.transitions.first { $0.name == name }
        let comment = form["comment"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        // The revision the page showed: the fire is refused if the item changed since.
        guard let revision = form["revision"].flatMap(Int.init) else {
            throw Problem(
                status: .badRequest, code: "input.form",
                detail: "the form does not say which revision of the item it was for")
        }
        do {
            _ = try await engine.fire(
                item: id, transition: name, actor: session.actor.handle, comment: comment,
                data: try ItemPageModel.data(
                    from: form, for: transition, dateFields: definition.dateFields,
                    zone: TimeZone(identifier: session.actor.timezone) ?? .gmt, current: view.data),
                expectRevision: revision)
        } catch let error as PodiumError where error.kind != .database && error.kind != .schema {
            return try await itemPage(
                id, session: session, refusal: error, typed: ItemPageModel.Typed(transition: name, form: form))
        }
        return WebPages.seeOther(
            "/items/\(id)?done=\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
    }
}
