public import Foundation

/// Where a message goes: `log`, `text`, `email:ADDRESS`, `slack:URL`, `teams:URL`, `file:PATH`,
/// `command:PROGRAM` or `webhook:URL`.
public enum DeliveryChannel: Sendable, Equatable, CustomStringConvertible {
    /// One JSON line on standard output.
    case log
    /// The message as its person reads it (who it is for, the item, the due time on their own
    /// clock, the guidance, how to act), on standard output: for a demo or a terminal.
    case text
    /// An email to the address (`email:` or `mailto:`), sent through the system's `sendmail -t`
    /// interface (`PODIUM_SENDMAIL`; msmtp or Postfix provide it): a plain-text and an HTML part.
    case email(String)
    /// A Slack incoming webhook: the message in Block Kit, with a button to act.
    case slack(URL)
    /// A Microsoft Teams incoming webhook: the message as an Adaptive Card, with a button to act.
    case teams(URL)
    /// One JSON line appended to a file.
    case file(String)
    /// A program that reads the JSON on standard input; a non-zero exit is a failure.
    case command(String)
    /// An HTTP POST of the JSON, signed with HMAC-SHA256 (header `X-Podium-Signature: sha256=HEX`).
    case webhook(URL)

    /// The forms a channel spec takes, for messages.
    public static let acceptedForms =
        "log, text, email:ADDRESS, slack:URL, teams:URL, file:PATH, command:PROGRAM or webhook:http(s)://HOST/PATH"

    /// Parses a channel spec. People's specs are checked when they are saved
    /// (`ActorStore.check`), so a worker never meets one it cannot read.
    ///
    /// - Throws: `PodiumError` `.usage` naming the accepted forms.
    public init(spec: String) throws(PodiumError) {
        if spec == "log" {
            self = .log
        } else if spec == "text" {
            self = .text
        } else if let address = Self.address(in: spec) {
            self = .email(address)
        } else if spec.hasPrefix("file:"), spec.count > 5 {
            self = .file(String(spec.dropFirst(5)))
        } else if spec.hasPrefix("command:"), spec.count > 8 {
            self = .command(String(spec.dropFirst(8)))
        } else if spec.hasPrefix("webhook:"), let url = Self.httpURL(spec.dropFirst(8)) {
            self = .webhook(url)
        } else if spec.hasPrefix("slack:"), let url = Self.httpURL(spec.dropFirst(6)) {
            self = .slack(url)
        } else if spec.hasPrefix("teams:"), let url = Self.httpURL(spec.dropFirst(6)) {
            self = .teams(url)
        } else {
            throw PodiumError(.usage, "unknown channel \"\(spec)\"; use \(Self.acceptedForms)")
        }
    }

    /// The channel's kind (`log`, `file`, `command`, `webhook`), without its path or address: a
    /// label for metrics that neither grows with each person nor carries a secret.
    public var kind: String {
        switch self {
        case .log: "log"
        case .text: "text"
        case .email: "email"
        case .slack: "slack"
        case .teams: "teams"
        case .file: "file"
        case .command: "command"
        case .webhook: "webhook"
        }
    }

    public var description: String {
        switch self {
        case .log: "log"
        case .text: "text"
        case .email(let address): "email:\(address)"
        case .slack(let url): "slack:\(url.absoluteString)"
        case .teams(let url): "teams:\(url.absoluteString)"
        case .file(let path): "file:\(path)"
        case .command(let program): "command:\(program)"
        case .webhook(let url): "webhook:\(url.absoluteString)"
        }
    }

    /// `text` as an http(s) URL with a host, or nil.
    static func httpURL(_ text: Substring) -> URL? {
        guard let url = URL(string: String(text)), url.scheme == "http" || url.scheme == "https",
            url.host?.isEmpty == false
        else { return nil }
        return url
    }

    /// The address of an `email:` or `mailto:` spec: one `local@domain`, printable ASCII with no
    /// space, comma, angle bracket, quote or line break (nothing that could add a recipient or a
    /// header); nil for anything else.
    static func address(in spec: String) -> String? {
        let address: Substring
        if spec.hasPrefix("email:") {
            address = spec.dropFirst(6)
        } else if spec.hasPrefix("mailto:") {
            address = spec.dropFirst(7)
        } else {
            return nil
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), address.utf8.count <= 254,
            address.unicodeScalars.allSatisfy({
                (0x21...0x7E).contains($0.value) && !"<>()[],;:\\\"".contains(Character($0))
            }),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix(".")
        else { return nil }
        return String(address)
    }
}
