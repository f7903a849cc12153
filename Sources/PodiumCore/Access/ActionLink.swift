public import Foundation

/// A signed link that lets one person fire one transition on one item, from a reminder, without
/// signing in: the link is their authority for that single act, and nothing else.
///
/// What is signed (HMAC-SHA256 under the server's ``SigningKey``): the person, the item, the
/// stage visit (the history entry that entered the stage), the item's revision, the transition
/// and the expiry. The link is written `PAYLOAD.SIGNATURE`, both base64url; the payload is not
/// secret (a handle, numbers and a transition name) and holds nothing that acts without the
/// signature.
///
/// A link is good once, while the item stays in the stage visit it was sent for: its act is fired
/// with the link's own ``idempotencyKey``, so a second use finds the act recorded; a move (or a
/// draft sent back and resubmitted) starts a new visit and makes it stale. Another approver's
/// approval or a comment does not. Opening a link never acts; only the POST from its
/// confirmation page does.
public struct ActionLink: Sendable, Equatable {
    /// Who may act with it.
    public let actor: String
    public let item: Int
    /// The history entry that entered the stage the link was made for.
    public let visit: Int
    /// The item's revision when the link was made: the confirmation page says when the item has
    /// changed since.
    public let revision: Int
    public let transition: String
    /// After this instant the link is refused; whole seconds.
    public let expiresAt: Date

    /// How long a link lasts unless configured (`PODIUM_LINK_DAYS`): 7 days.
    public static let defaultLifetime: TimeInterval = 7 * 86_400

    public init(actor: String, item: Int, visit: Int, revision: Int, transition: String, expiresAt: Date) {
        self.actor = actor
        self.item = item
        self.visit = visit
        self.revision = revision
        self.transition = transition
        self.expiresAt = Date(timeIntervalSince1970: expiresAt.timeIntervalSince1970.rounded(.down))
    }

    /// The link's token: the path segment after `/act/`.
    public func token(signedWith key: SigningKey) -> String {
        let payload = Data(payloadText.utf8)
        return SecretToken.base64URL(payload) + "."
            + SecretToken.base64URL(key.signature(of: payload, for: Self.purpose))
    }

    /// The idempotency key the link's act is fired with: the same link acting twice is one act.
    public var idempotencyKey: String {
        "link-" + String(SecretToken.digest(payloadText).prefix(32))
    }

    /// Reads and checks a token.
    ///
    /// - Throws: ``LinkProblem/tampered`` when it is not a link this key signed (including any
    ///   change to it), ``LinkProblem/expired`` past its expiry (checked after the signature).
    public static func verify(_ token: String, key: SigningKey, now: Date) throws(LinkProblem) -> ActionLink {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard token.utf8.count <= 2048, parts.count == 2,
            let payload = SecretToken.bytes(base64URL: parts[0]),
            let signature = SecretToken.bytes(base64URL: parts[1]),
            key.isValid(signature: signature, of: payload, for: purpose),
            let text = String(data: payload, encoding: .utf8),
            let link = ActionLink(payloadText: text)
        else { throw .tampered }
        guard now < link.expiresAt else { throw .expired(link) }
        return link
    }

    static let purpose = "action link v1"

    /// The value a link's confirmation page puts in its form, which the POST must send back:
    /// only someone who opened the page (who holds the link) has it, so a page elsewhere cannot
    /// post to a link it merely guessed the address of.
    public static func confirmation(of token: String, key: SigningKey) -> String {
        SecretToken.base64URL(key.signature(of: Data(token.utf8), for: "action link confirmation v1"))
    }

    /// `v1`, then each field on a line of its own: handles and transition names cannot hold a
    /// line break, so the fields cannot run into each other.
    private var payloadText: String {
        ["v1", actor, "\(item)", "\(visit)", "\(revision)", transition, "\(Int(expiresAt.timeIntervalSince1970))"]
            .joined(separator: "\n")
    }

    private init?(payloadText: String) {
        let fields = payloadText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 7, fields[0] == "v1", let item = Int(fields[2]), let visit = Int(fields[3]),
            let revision = Int(fields[4]), let expiry = Int(fields[6])
        else { return nil }
        self.init(
            actor: fields[1], item: item, visit: visit, revision: revision, transition: fields[5],
            expiresAt: Date(timeIntervalSince1970: TimeInterval(expiry)))
    }
}

/// Why a link cannot act, in words for the person holding it.
public enum LinkProblem: Error, Equatable, Sendable {
    /// Not a link Podium signed, or changed since.
    case tampered
    /// Past its expiry.
    case expired(ActionLink)
}

/// Makes the links messages carry: the signed link to act, and the item's page. Workers and the
/// server make them the same way from the same settings (`PODIUM_PUBLIC_URL`, the secret,
/// `PODIUM_LINK_DAYS`).
public struct LinkMaker: Sendable {
    public let key: SigningKey
    /// Where people reach the server, without a trailing `/`: `https://podium.example.com`.
    public let publicURL: String
    /// How long a link to act lasts, in seconds.
    public let lifetime: TimeInterval

    public init(key: SigningKey, publicURL: String, lifetime: TimeInterval = ActionLink.defaultLifetime) {
        self.key = key
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.lifetime = lifetime
    }

    /// The makers `environment` configures: nil unless both a public URL and a secret are set
    /// (messages then carry the CLI line alone).
    ///
    /// - Throws: ``PodiumError`` `.usage` for an unreadable or short secret, or a
    ///   `PODIUM_LINK_DAYS` that is not a whole number of days from 1 to 90.
    public static func from(environment: [String: String], key: SigningKey? = nil) throws -> LinkMaker? {
        guard let url = environment["PODIUM_PUBLIC_URL"], !url.isEmpty else { return nil }
        guard let key = try key ?? SigningKey.from(environment: environment) else { return nil }
        var lifetime = ActionLink.defaultLifetime
        if let days = environment["PODIUM_LINK_DAYS"], !days.isEmpty {
            guard let count = Int(days), (1...90).contains(count) else {
                throw PodiumError(
                    .usage, "PODIUM_LINK_DAYS=\(days) is not a whole number of days from 1 to 90", reason: "link_days")
            }
            lifetime = TimeInterval(count) * 86_400
        }
        return LinkMaker(key: key, publicURL: url, lifetime: lifetime)
    }

    /// The URL that lets `actor` fire `transition` on `item` (as it stands at `visit`,
    /// `revision`), expiring ``lifetime`` after `now`.
    public func actURL(
        actor: String, item: Int, visit: Int, revision: Int, transition: String, now: Date
    ) -> String {
        let link = ActionLink(
            actor: actor, item: item, visit: visit, revision: revision, transition: transition,
            expiresAt: now.addingTimeInterval(lifetime))
        return "\(publicURL)/act/\(link.token(signedWith: key))"
    }

    /// The item's page in the inbox.
    public func itemURL(_ item: Int) -> String { "\(publicURL)/items/\(item)" }

    /// My tasks.
    public var inboxURL: String { "\(publicURL)/inbox" }

    /// Where a person chooses how Podium reaches them: on My tasks.
    public var preferencesURL: String { "\(publicURL)/inbox#reach" }
}
