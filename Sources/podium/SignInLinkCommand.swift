import ArgumentParser
import Foundation
import PodiumCore

/// `podium signin-link --as dana`: a sign-in link for the inbox, printed instead of sent.
struct SignInLinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signin-link",
        abstract: "Prints a link that signs you in to the inbox once, within 15 minutes.",
        discussion: """
            The same link the sign-in page sends through your channel, for when you are at a
            terminal already (or for a demo). It acts as you, like podium token create: opening
            it shows a page, and its button signs the browser in. The address comes from
            PODIUM_PUBLIC_URL (by default http://127.0.0.1:8080).

            Example:
              podium signin-link --as dana
            """
    )

    @OptionGroup var actor: ActingAs

    func run() async throws {
        let services = try await Services.open()
        // At a terminal, with the database's credentials, nobody is throttled.
        let sessions = WebSessions(pool: services.pool, time: services.clock)
        guard
            case .issued(let token, let person) = try await sessions.requestSignInLink(
                for: actor.handle, throttled: false)
        else {
            throw PodiumError(
                .notFound, "no actor named \(actor.handle)", hint: "add the person first", reason: "actor",
                details: ["handle": actor.handle])
        }
        Terminal.output("\(Services.publicURL)/signin/\(token)")
        Terminal.error("signs \(Terminal.field(person.name)) in once, within 15 minutes")
    }
}
