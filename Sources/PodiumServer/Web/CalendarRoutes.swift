import Foundation
import Hummingbird
import PodiumCore

/// `/calendar/TOKEN.ics`: a person's calendar feed, for a calendar app to subscribe to (it sends
/// no credentials: the address is the secret, and can be revoked). `POST /calendar-feeds` makes a
/// feed from the inbox and shows its address once; `POST /calendar-feeds/revoke` ends them all.
struct CalendarRoutes {
    let services: PodiumServices
    let pages: WebPages
    let web: WebSettings

    var feeds: CalendarFeeds { CalendarFeeds(pool: services.pool, time: services.clock) }

    func add(to router: RouterGroup<APIRequestContext>) {
        router.get("/calendar/{file}") { _, context in
            let file = try context.parameters.require("file")
            guard file.hasSuffix(".ics"), let (person, workflow) = try await feeds.owner(of: String(file.dropLast(4)))
            else {
                throw Problem(
                    status: .notFound, code: "not_found.calendar", detail: "No calendar feed has this address.")
            }
            let url = { (item: Int) in "\(web.publicURL)/items/\(item)" }
            let events =
                if let workflow {
                    try await services.engine.programEvents(of: workflow, for: person.identity, itemURL: url)
                } else {
                    try await services.engine.calendarEvents(for: person.identity, itemURL: url)
                }
            let text = ICalendar.render(
                events, name: "Podium: \(workflow ?? person.name)", now: services.clock.now())
            return Response(
                status: .ok, headers: [.contentType: "text/calendar; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.post("/calendar-feeds") { request, context in
            let (_, session) = try await WebForm.read(request, session: context)
            let (_, token) = try await feeds.create(for: session.actor.handle)
            return pages.render(
                "calendar",
                CalendarView(
                    page: PageChrome("Your calendar feed", session: session),
                    address: "\(web.publicURL)/calendar/\(token).ics"))
        }
        router.post("/calendar-feeds/revoke") { request, context in
            let (_, session) = try await WebForm.read(request, session: context)
            _ = try await feeds.revoke(for: session.actor.handle)
            return WebPages.seeOther("/inbox")
        }
    }

    struct CalendarView {
        let page: PageChrome
        let address: String
    }
}
