import Foundation
import Testing

@testable import PodiumCore

@Suite("Signed links to act")
struct ActionLinkTests {
    let key: SigningKey
    let now = Date(timeIntervalSince1970: 1_780_000_000)

    init() throws {
        key = try SigningKey(secret: "a secret of at least thirty-two bytes, for tests", origin: "test")
    }

    var link: ActionLink {
        ActionLink(
            actor: "sam", item: 4, visit: 17, revision: 9, transition: "approve",
            expiresAt: now.addingTimeInterval(ActionLink.defaultLifetime))
    }

    @Test func readsBackWhatWasSigned() throws {
        #expect(try ActionLink.verify(link.token(signedWith: key), key: key, now: now) == link)
    }

    /// Any change to any character of a link (payload or signature) is refused: a person cannot
    /// edit the item, the transition, the revision or the expiry of a link they were sent.
    @Test func everyChangedCharacterIsRefused() {
        let token = Array(link.token(signedWith: key))
        for index in token.indices {
            for replacement in ["A", "_", "-", "0", "."] where String(token[index]) != replacement {
                var changed = token
                changed[index] = Character(replacement)
                #expect(throws: LinkProblem.tampered) {
                    try ActionLink.verify(String(changed), key: key, now: now)
                }
            }
        }
    }

    /// Forged payloads signed with another key, links cut short, padded or doubled are refused.
    @Test(arguments: ["", ".", "abc", "abc.def", "a.b.c", "=.=", " ", String(repeating: "A", count: 5000)])
    func malformedLinksAreRefused(token: String) {
        #expect(throws: LinkProblem.tampered) { try ActionLink.verify(token, key: key, now: now) }
    }

    @Test func anotherKeysLinkIsRefused() throws {
        let other = try SigningKey(secret: "another secret of at least thirty-two bytes", origin: "test")
        #expect(throws: LinkProblem.tampered) {
            try ActionLink.verify(link.token(signedWith: other), key: key, now: now)
        }
        let parts = link.token(signedWith: key).split(separator: ".")
        let swapped = ActionLink(
            actor: "dana", item: 4, visit: 17, revision: 9, transition: "approve", expiresAt: link.expiresAt)
        let forged = swapped.token(signedWith: other).split(separator: ".")[0] + "." + parts[1]
        #expect(throws: LinkProblem.tampered) { try ActionLink.verify(String(forged), key: key, now: now) }
    }

    @Test func expiresAtItsInstant() throws {
        let token = link.token(signedWith: key)
        _ = try ActionLink.verify(token, key: key, now: link.expiresAt.addingTimeInterval(-1))
        #expect(throws: LinkProblem.expired(link)) { try ActionLink.verify(token, key: key, now: link.expiresAt) }
    }

    /// A link's page proves a POST came from it; the proof differs per link and per key.
    @Test func confirmationsDifferPerLinkAndKey() throws {
        let first = link.token(signedWith: key)
        let second = ActionLink(
            actor: "sam", item: 4, visit: 17, revision: 10, transition: "approve", expiresAt: link.expiresAt
        ).token(signedWith: key)
        let other = try SigningKey(secret: "another secret of at least thirty-two bytes", origin: "test")
        #expect(ActionLink.confirmation(of: first, key: key) != ActionLink.confirmation(of: second, key: key))
        #expect(ActionLink.confirmation(of: first, key: key) != ActionLink.confirmation(of: first, key: other))
    }

    @Test func shortSecretsAreRefused() throws {
        #expect(throws: PodiumError.self) { try SigningKey(secret: "too short", origin: "PODIUM_SECRET") }
        #expect(throws: PodiumError.self) {
            try SigningKey.from(environment: ["PODIUM_SECRET_FILE": "/nonexistent/podium.secret"])
        }
        #expect(try SigningKey.from(environment: [:]) == nil)
    }

    @Test func linkDaysAreChecked() throws {
        let environment = [
            "PODIUM_PUBLIC_URL": "https://p.example", "PODIUM_SECRET": String(repeating: "s", count: 40),
        ]
        #expect(try LinkMaker.from(environment: environment)?.lifetime == ActionLink.defaultLifetime)
        let twoDays = environment.merging(["PODIUM_LINK_DAYS": "2"]) { $1 }
        #expect(try LinkMaker.from(environment: twoDays)?.lifetime == 172_800)
        for bad in ["0", "91", "-1", "1.5", "week"] {
            #expect(throws: PodiumError.self) {
                try LinkMaker.from(environment: environment.merging(["PODIUM_LINK_DAYS": bad]) { $1 })
            }
        }
        #expect(try LinkMaker.from(environment: ["PODIUM_SECRET": String(repeating: "s", count: 40)]) == nil)
    }
}
