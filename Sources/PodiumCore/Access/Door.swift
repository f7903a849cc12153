/// The way an action reached Podium, recorded with every history entry it writes (`via`).
public enum Door: String, Sendable, Codable, CaseIterable {
    /// A `podium` command in a shell.
    case cli
    /// The worker, firing a timer.
    case worker
    /// The HTTP API, with a personal token.
    case api
    /// The web pages (the inbox and the console), with a signed-in session.
    case web
    /// A signed link from a reminder or escalation, confirmed on its page.
    case link
}
