import Foundation
import Hummingbird
import LibPQ
import PodiumCore
import WorkflowEngine
import WorkflowLanguage

/// `/act/{token}`: the signed link in a reminder. Opening it (GET) only shows the item, the
/// guidance and a form: mail scanners open every link in a message before its reader does.
/// Only the POST from that page acts, as the link's person, through the same engine and decider
/// as every other door, recorded as coming through a link.
///
/// The link is single-use: it names the item's revision, and the act is fired on that revision
/// with the link's own idempotency key, so a second POST finds the item moved on (and is told the
/// link was used). A link whose item moved on, that expired, or that was changed says so
/// plainly and points to the item's page.
struct LinkRoutes {
    let services: PodiumServices
    let pages: WebPages
    let key: SigningKey?
    let engine: ItemEngine

    init(services: PodiumServices, pages: WebPages, key: SigningKey?) {
        self.services = services
        self.pages = pages
        self.key = key
        engine = services.engine.entering(through: .link)
    }

    func add(to router: RouterGroup<APIRequestContext>) {
        router.get("/act/{token}") { _, context in
            let token = try context.parameters.require("token")
            let (link, person, view) = try await usable(token)
            return try await confirmation(token: token, link: link, person: person, view: view)
        }
        router.post("/act/{token}") { request, context in
            let token = try context.parameters.require("token")
            let form = try await WebForm.read(request)
            let link = try await verified(token)
            guard let sent = form["confirm"], WebForm.constantTimeEqual(sent, confirmation(of: token)) else {
                throw Problem(
                    status: .forbidden, code: "refused.csrf",
                    detail: "This form did not come from the link's own page, so nothing was done.",
                    hint: "Open the link again and use the button on its page.")
            }
            let (_, person, view) = try await usable(token, link: link)
            let definition = try await engine.definition(of: view.workflow, version: view.version)
            let transition = definition.transitions.first { $0.name == link.transition }
            let comment = form["comment"].flatMap {
                $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0
            }
            do {
                // The link's own idempotency key makes it act once: a second POST (or two at once)
                // finds its act recorded. The revision the page showed guards against a change
                // made while the person read it.
                let result = try await engine.fire(
                    item: link.item, transition: link.transition, actor: link.actor, comment: comment,
                    data: try ItemPageModel.data(
                        from: form, for: transition, dateFields: definition.dateFields,
                        zone: TimeZone(identifier: person.timezone) ?? .gmt, current: view.data),
                    expectRevision: form["revision"].flatMap(Int.init) ?? view.revision,
                    idempotencyKey: link.idempotencyKey)
                if result.replayed { throw try await stale(link, token: token) }
                let label = transition?.title ?? ItemPageModel.label(for: link.transition)
                let stage = definition.stage(result.stage)?.title ?? result.stage
                return pages.render(
                    "done",
                    DoneView(
                        page: PageChrome("Done", session: nil), heading: "Done: \(label)",
                        message: result.outcome == .approvalRecorded
                            ? "Your approval of “\(view.title)” is recorded; it waits for more approvals."
                            : "“\(view.title)” is now in \(stage). Thank you, \(person.name).",
                        itemID: link.item))
            } catch let error as PodiumError where error.kind == .conflict && error.code != "conflict.revision" {
                throw try await stale(link, token: token)
            } catch let error as PodiumError
                where error.kind == .refused || error.kind == .usage || error.kind == .conflict
            {
                // Refused, or the item changed while the page was read: the page again, as the
                // item stands now, with what was typed.
                return try await confirmation(
                    token: token, link: link, person: person, view: view, refusal: error,
                    typed: ItemPageModel.Typed(transition: link.transition, form: form))
            }
        }
    }

    struct ConfirmationView {
        let page: PageChrome
        let label: String
        let name: String
        let item: ItemPageModel.Heading
        let fields: [ItemPageModel.Field]
        let token: String
        let confirm: String
        let revision: Int
        /// Said when the item changed since the message was sent (an approval, a comment).
        let changed: Bool
        let inputs: [ItemPageModel.Input]
    }

    struct DoneView {
        let page: PageChrome
        let heading: String
        let message: String
        let itemID: Int
    }

    private func confirmation(
        token: String, link: ActionLink, person: ActorRecord, view: ItemView, refusal: PodiumError? = nil,
        typed: ItemPageModel.Typed? = nil
    ) async throws -> Response {
        let model = ItemPageModel(
            view: view, definition: try await engine.definition(of: view.workflow, version: view.version),
            reader: person, time: LocalTime(zone: person.timezone, now: services.clock.now()), names: [:])
        guard let action = model.actions(csrf: "", typed: typed).first(where: { $0.name == link.transition }) else {
            throw Problem(
                status: .forbidden, code: "refused.not_permitted",
                detail:
                    "\(person.name) may not \(ItemPageModel.label(for: link.transition).lowercased()) this item now.",
                hint: "Open the item's page to see who may act.")
        }
        return pages.render(
            "act",
            ConfirmationView(
                page: PageChrome(
                    action.label, session: nil, error: refusal.map { "Nothing was changed: \($0.message)." },
                    errorHint: refusal?.hint),
                label: action.label, name: person.name, item: model.heading, fields: model.fields, token: token,
                confirm: confirmation(of: token), revision: view.revision, changed: view.revision != link.revision,
                inputs: action.inputs),
            status: refusal.map { Problem($0).status } ?? .ok)
    }

    /// The value the confirmation page's form carries: proof the POST came from the page, which
    /// only the link's holder could open.
    private func confirmation(of token: String) -> String {
        guard let key else { return "" }
        return ActionLink.confirmation(of: token, key: key)
    }

    private func verified(_ token: String) async throws -> ActionLink {
        guard let key else {
            throw Problem(
                status: .serviceUnavailable, code: "links.off",
                detail: "Links to act are off on this server: it has no signing secret.",
                hint: "Sign in and act from the item's page; an operator sets PODIUM_SECRET_FILE.")
        }
        do {
            return try ActionLink.verify(token, key: key, now: services.clock.now())
        } catch .tampered {
            throw Problem(
                status: .notFound, code: "not_found.link",
                detail:
                    "This link is not one Podium made, or it was changed on the way (a missing or altered character).",
                hint: "Open the link from the message again, or sign in and act from your tasks.")
        } catch .expired(let link) {
            throw Problem(
                status: .gone, code: "gone.link_expired",
                detail:
                    "This link expired on \(DataDate.format(link.expiresAt)); a link to act lasts a few days (7 unless configured).",
                hint: "Sign in and act from the item's page.", details: ["item": "\(link.item)"])
        }
    }

    /// The link, its person and the item, when the link can still act.
    private func usable(_ token: String, link verifiedLink: ActionLink? = nil) async throws -> (
        ActionLink, ActorRecord, ItemView
    ) {
        let link: ActionLink
        if let verifiedLink { link = verifiedLink } else { link = try await verified(token) }
        let person = try await services.actors.find(link.actor)
        let view = try await engine.show(link.item, reader: person.identity)
        // Good while the item stays in the visit of the stage it was sent for: another approver's
        // approval or a comment does not spoil it; a move (or a draft sent back and resubmitted) does.
        guard try await engine.currentVisit(of: link.item) == link.visit, view.closedAt == nil,
            try await engine.actedAt(item: link.item, idempotencyKey: link.idempotencyKey) == nil
        else { throw try await stale(link, token: token) }
        return (link, person, view)
    }

    /// Why a link whose item changed cannot act: it was used, or the item moved on.
    private func stale(_ link: ActionLink, token: String) async throws -> Problem {
        let person = try await services.actors.find(link.actor)
        let time = LocalTime(zone: person.timezone, now: services.clock.now())
        if let used = try await engine.actedAt(item: link.item, idempotencyKey: link.idempotencyKey) {
            return Problem(
                status: .gone, code: "gone.link_used",
                detail: "This link was used already, on \(time.instant(used)); a link acts once.",
                hint: "The item's page shows where it stands now.", details: ["item": "\(link.item)"])
        }
        let view = try await engine.show(link.item)
        return Problem(
            status: .conflict, code: "conflict.link_stale",
            detail:
                "“\(view.title)” has changed since this link was sent (it is now in \(view.stageTitle)), so the link no longer acts.",
            hint: "The item's page shows what is yours to do now.", details: ["item": "\(link.item)"])
    }
}
