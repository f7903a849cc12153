import Foundation
import Hummingbird
import Mustache
import NIOCore
import PodiumCore
import WorkflowEngine

/// The inbox's and console's HTML: swift-mustache templates shipped as resources (HTML-escaped
/// by default: what people typed is always text), one stylesheet served by Podium itself, and
/// the headers every page carries.
struct WebPages: Sendable {
    let library: MustacheLibrary
    let stylesheet: ByteBuffer

    /// Loads every template in the `Templates` resource folder and the stylesheet.
    ///
    /// - Throws: ``PodiumError`` `.schema` when a resource is missing or a template does not
    ///   parse: a broken build, reported when the server starts.
    init() throws {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil),
            let css = Bundle.module.url(forResource: "podium", withExtension: "css", subdirectory: "Static")
        else { throw PodiumError(.schema, "the page templates are missing from the PodiumServer resources") }
        var library = MustacheLibrary()
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
            $0.hasSuffix(".mustache")
        }
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            do {
                try library.register(text, named: String(name.dropLast(".mustache".count)))
            } catch {
                throw PodiumError(.schema, "the page template \(name) does not parse: \(error)")
            }
        }
        self.library = library
        stylesheet = ByteBuffer(data: try Data(contentsOf: css))
    }

    /// `template` rendered with `object` as an HTML response.
    func render(_ template: String, _ object: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:])
        -> Response
    {
        guard let html = library.render(object, withTemplate: template) else {
            return Response(
                status: .internalServerError, headers: Self.headers,
                body: .init(byteBuffer: ByteBuffer(string: "missing template \(template)")))
        }
        var fields = Self.headers
        fields.append(contentsOf: headers)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A redirect after a form (303: the browser GETs the new page, so a reload does not post again).
    static func seeOther(_ location: String, headers: HTTPFields = [:]) -> Response {
        var fields = Self.headers
        fields[.location] = location
        fields.append(contentsOf: headers)
        return Response(status: .seeOther, headers: fields)
    }

    /// What every page sends: HTML; no script at all and styles from Podium only (a comment
    /// that slipped past escaping still could not run); never framed (clickjacking); never cached
    /// or stored (the pages are a person's own); and a `Referer` for Podium's own pages only (a
    /// link's token never leaks to another site; `no-referrer` would make browsers send
    /// `Origin: null` with Podium's own forms).
    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .init("X-Content-Type-Options")!: "nosniff",
        .init("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]
}

/// The part of every page around its content: its title, who is signed in, and a message.
struct PageChrome {
    let title: String
    /// The signed-in person's name, or nil (no navigation then).
    let person: String?
    let csrf: String
    let isOperator: Bool
    var notice: String?
    var error: String?
    var errorHint: String?

    init(_ title: String, session: WebSession?, notice: String? = nil, error: String? = nil, errorHint: String? = nil) {
        self.title = title
        person = session.map { "\($0.actor.name) (\($0.actor.handle))" }
        csrf = session?.csrfToken ?? ""
        isOperator = session.map { !Set($0.actor.roles).isDisjoint(with: TaskAdmin.operatorRoles) } ?? false
        self.notice = notice
        self.error = error
        self.errorHint = errorHint
    }
}

/// Times as a person reads them: in their own zone, with the zone's abbreviation, and how far
/// from now ("Thu 5 Mar, 14:00 EST, in 2 days").
struct LocalTime: Sendable {
    let zone: TimeZone
    let now: Date

    init(zone identifier: String, now: Date) {
        zone = TimeZone(identifier: identifier) ?? TimeZone(secondsFromGMT: 0)!
        self.now = now
    }

    /// The zone's short name at `date`: `EST`, `GMT+1`; `UTC` for UTC (Foundation says GMT).
    func abbreviation(at date: Date) -> String {
        ["UTC", "GMT", "Etc/UTC", "Etc/GMT"].contains(zone.identifier)
            ? "UTC" : Self.formatter("zzz", in: zone).string(from: date)
    }

    /// The instant as people say it, on their wall clock with the zone: "Thu 14:00 EST" within
    /// the coming week, "Wed 2 Dec, 16:30 EST" otherwise in this year, with the year beyond.
    func instant(_ date: Date) -> String {
        // Foundation's calendar turns Julian before 1582; such dates are written as typed, by
        // the RFC 3339 writer on the proleptic Gregorian calendar, shifted to the wall clock.
        if date < Self.gregorianReform {
            let iso = DataDate.format(date.addingTimeInterval(TimeInterval(zone.secondsFromGMT(for: date))))
            return iso.prefix(10) + " " + iso.dropFirst(11).prefix(5) + " " + abbreviation(at: date)
        }
        let ahead = date.timeIntervalSince(now)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let pattern: String
        if ahead >= 0, ahead < 6 * 86_400 {
            pattern = "EEE HH:mm"
        } else if calendar.component(.year, from: date) == calendar.component(.year, from: now) {
            pattern = "EEE d MMM, HH:mm"
        } else {
            pattern = "EEE d MMM yyyy, HH:mm"
        }
        return Self.formatter(pattern, in: zone).string(from: date) + " " + abbreviation(at: date)
    }

    /// 1583-01-01T00:00:00Z: from here on Foundation's Gregorian calendar is the proleptic one.
    static let gregorianReform = Date(timeIntervalSince1970: -12_212_553_600)

    /// A Gregorian, English formatter of `pattern` on the wall clock of `zone`.
    static func formatter(_ pattern: String, in zone: TimeZone) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = zone
        formatter.dateFormat = pattern
        return formatter
    }

    /// "due Thu 5 Mar 2026, 14:00 EST, in 2 days" or "overdue by 3 hours (due ...)".
    func due(_ date: Date) -> String {
        date < now
            ? "overdue by \(Self.span(now.timeIntervalSince(date))) (due \(instant(date)))"
            : "due \(instant(date)), in \(Self.span(date.timeIntervalSince(now)))"
    }

    /// "3 hours ago", "in 2 days".
    func relative(_ date: Date) -> String {
        date <= now ? "\(Self.span(now.timeIntervalSince(date))) ago" : "in \(Self.span(date.timeIntervalSince(now)))"
    }

    /// The largest whole unit of a length of time, in words: "2 days", "1 hour", "5 minutes".
    static func span(_ seconds: TimeInterval) -> String {
        let units: [(String, Double)] = [("week", 604_800), ("day", 86_400), ("hour", 3_600), ("minute", 60)]
        for (name, size) in units where seconds >= size {
            let count = Int(seconds / size)
            return "\(count) \(name)\(count == 1 ? "" : "s")"
        }
        return "less than a minute"
    }

    /// The zone as people name it: `America/New_York (EST)`.
    var name: String {
        "\(zone.identifier) (\(abbreviation(at: now)))"
    }
}
