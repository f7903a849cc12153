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
    /// Development (`podium serve --dev`): sign-in links may go to the server's own output.
    /// Otherwise a person whose channel is the server's output (`log`, `text`) is sent none:
    /// whoever reads the server's logs could sign in as them.
    public var development: Bool

    public init(
        signingKey: SigningKey?, publicURL: String, defaultChannel: DeliveryChannel = .log,
        environment: [String: String] = [:], development: Bool = false
    ) {
        self.development = development
        self.signingKey = signingKey
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.defaultChannel = defaultChannel
        self.environment = environment
    }
}
