public import Foundation
import PodiumCore

/// A message as an email (RFC 5322, MIME): a subject people can scan, a plain-text
/// part and an HTML part with the guidance and the button to act, for `sendmail -t`.
///
/// Headers that hold people's words (names, titles) are RFC 2047 encoded-words when not plain
/// ASCII; bodies are UTF-8 in base64, so no line of anyone's text can end the headers or the
/// part. The `Message-ID` is derived from the message's idempotency key: a reminder sent again
/// has the same one, so mail clients thread it and receivers can drop the duplicate.
public struct MailMessage: Sendable {
    /// The recipient's address (checked when their channel was saved) and name.
    public let to: String
    public let toName: String
    /// `Podium <podium@example.com>` (`PODIUM_MAIL_FROM`).
    public let from: String
    /// When it is written (the `Date` header).
    public let date: Date
    public let subject: String
    /// The message's text, a paragraph each (the guidance among them).
    public let paragraphs: [String]
    /// The button: what it says and where it goes (a signed link), or nil.
    public let action: (label: String, url: String)?
    /// The item's page, or nil.
    public let itemURL: String?
    /// A last, quieter line (the command for a terminal), or nil.
    public let footer: String?
    /// The message's idempotency key: `X-Podium-Idempotency-Key`, and the seed of `Message-ID`.
    public let key: String
    /// Where the person changes how Podium reaches them (`List-Unsubscribe`, RFC 2369), or nil.
    public var preferencesURL: String? = nil

    public init(
        to: String, toName: String, from: String, date: Date, subject: String, paragraphs: [String],
        action: (label: String, url: String)?, itemURL: String?, footer: String?, key: String
    ) {
        self.to = to
        self.toName = toName
        self.from = from
        self.date = date
        self.subject = subject
        self.paragraphs = paragraphs
        self.action = action
        self.itemURL = itemURL
        self.footer = footer
        self.key = key
    }

    /// A reminder or escalation: "Private review with the coach: Why we opened our roadmap, due
    /// Thu 14:00 EST" (or "Overdue: ..."), the stage, the due time on the recipient's clock, the
    /// guidance, the button to act and the command.
    init(_ message: Message, to address: String, from: String) {
        defer { preferencesURL = message.preferencesURL }
        let time = LocalTime(zone: message.recipientZone, now: message.writtenAt)
        let due = message.dueAt.map { time.instant($0) }
        let what = message.kind == "escalation" ? "Overdue" : message.stageTitle
        var paragraphs = ["\(message.recipientName),"] + (message.standingIn.map { [$0] } ?? [])
        paragraphs.append("\(message.title): \(message.stageTitle).")
        if let due { paragraphs.append("Due \(due), your time.") }
        paragraphs.append(message.guidance.trimmingCharacters(in: .whitespacesAndNewlines))
        if message.link != nil {
            paragraphs.append("Opening the button's page changes nothing; its own button acts, once.")
        }
        self.init(
            to: address, toName: message.recipientName, from: from, date: message.writtenAt,
            subject: "\(what): \(message.title)" + (due.map { ", due \($0)" } ?? ""), paragraphs: paragraphs,
            action: message.link.map { ("Open it to act", $0) }, itemURL: message.itemURL,
            footer: "At a terminal: \(message.command)", key: message.idempotencyKey)
    }

    /// The whole message, with CRLF line ends.
    public func rendered() -> Data {
        let boundary = "podium-" + String(SecretToken.digest(key).prefix(24))
        var headers = [
            "From: \(Self.mailbox(from))",
            "To: \(Self.encodedWord(toName)) <\(to)>",
            "Subject: \(Self.encodedWord(subject, phrase: false))",
            "Date: \(Self.rfc5322(date))",
            "Message-ID: <\(SecretToken.digest(key).prefix(40))@podium>",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
            "X-Podium-Idempotency-Key: \(Self.oneLine(key))",
        ]
        if let preferencesURL { headers.append("List-Unsubscribe: <\(Self.oneLine(preferencesURL))>") }
        headers.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        var lines = headers + ["", "This is a message in two parts: plain text and HTML.", ""]
        for (type, body) in [("text/plain", plainText), ("text/html", html)] {
            lines += [
                "--\(boundary)", "Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", "",
            ]
            lines += Self.base64Lines(Data(body.utf8))
            lines.append("")
        }
        lines.append("--\(boundary)--")
        return Data((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    var plainText: String {
        var lines = paragraphs.flatMap { [$0, ""] }
        if let action { lines += ["\(action.label): \(action.url)", ""] }
        if let itemURL { lines += ["The item: \(itemURL)", ""] }
        if let footer { lines.append(footer) }
        if let preferencesURL {
            lines += ["", "How Podium reaches you (each reminder, a daily digest, a pause): \(preferencesURL)"]
        }
        return lines.joined(separator: "\n")
    }

    var html: String {
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
                .replacingOccurrences(of: "'", with: "&#39;")
        }
        var body = ["<!doctype html><html><body style=\"font-family: sans-serif; color: #1d232b\">"]
        body += paragraphs.map { "<p style=\"white-space: pre-wrap\">\(escaped($0))</p>" }
        if let action {
            body.append(
                "<p><a href=\"\(escaped(action.url))\" style=\"background: #1f5fae; color: #fff; padding: 10px 16px; border-radius: 6px; text-decoration: none\">\(escaped(action.label))</a></p>"
            )
        }
        if let itemURL { body.append("<p><a href=\"\(escaped(itemURL))\">The item</a></p>") }
        if let footer { body.append("<p style=\"color: #4f5b66\">\(escaped(footer))</p>") }
        if let preferencesURL {
            body.append(
                "<p style=\"color: #4f5b66\"><a href=\"\(escaped(preferencesURL))\">How Podium reaches you</a>: "
                    + "each reminder, a daily digest, or a pause.</p>")
        }
        body.append("</body></html>")
        return body.joined(separator: "\n")
    }

    /// `text` as a header value: itself when it is printable ASCII (and, for a `phrase` such as a
    /// display name, free of the characters that would need quoting), else RFC 2047
    /// encoded-words (`=?UTF-8?B?...?=`) of at most 45 bytes of text each, split between
    /// characters, one per folded line, so no header line grows past 78 characters.
    static func encodedWord(_ text: String, phrase: Bool = true) -> String {
        let line = oneLine(text)
        let plain =
            line.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) } && !line.contains("=?")
            && (!phrase || !line.contains(where: { "\"<>(),.;:@\\[]".contains($0) }))
        if plain && line.utf8.count <= 900 { return line }
        var words: [String] = []
        var chunk = ""
        for scalar in line.unicodeScalars {
            // 45 bytes of UTF-8 make 60 base64 characters: with "=?UTF-8?B?" and "?=", 72.
            if !chunk.isEmpty, chunk.utf8.count + String(scalar).utf8.count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.unicodeScalars.append(scalar)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    /// `Name <address>` with the name encoded as needed; an address alone as it is.
    static func mailbox(_ text: String) -> String {
        let text = oneLine(text).trimmingCharacters(in: .whitespaces)
        guard let open = text.lastIndex(of: "<"), text.hasSuffix(">") else { return text }
        let name = text[..<open].trimmingCharacters(in: .whitespaces)
        return name.isEmpty ? String(text[open...]) : "\(encodedWord(name)) \(text[open...])"
    }

    /// Line breaks and other controls as spaces: a header is one line.
    static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? " " : Character($0) })
    }

    static func base64Lines(_ data: Data) -> [String] {
        let text = data.base64EncodedString()
        return stride(from: 0, to: text.count, by: 76).map { start in
            let from = text.index(text.startIndex, offsetBy: start)
            return String(text[from..<(text.index(from, offsetBy: 76, limitedBy: text.endIndex) ?? text.endIndex)])
        }
    }

    /// `Mon, 30 Nov 2026 21:22:38 +0000`.
    static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
