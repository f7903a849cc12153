public import PodiumCore

/// What the pages and links need beyond the API's settings.
public struct WebSettings: Sendable {
    /// Signs the links in reminders; nil turns the links off (pages still work).
    public var signingKey: SigningKey?
    /// Where people reach the server (links in messages), without a trailing `/`.
    public var publicURL: String
    /// Send the session cookie only over https: true when ``publicURL`` is https.
    public var secureCookies: Bool { publicURL.lowercased().hasPrefix("https://") }
    /// Where sign-in links go for people without a channel of their own.
    public var defaultChannel: DeliveryChannel
    /// The environment channels read (`PODIUM_WEBHOOK_SECRET`).
    public var environment: [String: String]

    public init(
        signingKey: SigningKey?, publicURL: String, defaultChannel: DeliveryChannel = .log,
        environment: [String: String] = [:]
    ) {
        self.signingKey = signingKey
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.defaultChannel = defaultChannel
        self.environment = environment
    }
}
