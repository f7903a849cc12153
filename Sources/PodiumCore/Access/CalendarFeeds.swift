public import Foundation
public import LibPQ
public import WorkflowEngine

/// Calendar feeds: a secret address per person (`/calendar/TOKEN.ics`) that calendar apps
/// subscribe to. Only the token's SHA-256 is kept; revoking a feed makes its address answer 404.
public struct CalendarFeeds: Sendable {
    let pool: PostgresPool
    let time: any TimeSource

    public init(pool: PostgresPool, time: any TimeSource = SystemTime()) {
        self.pool = pool
        self.time = time
    }

    /// A new feed for `handle` (of `workflow`, a program feed, when given), ending the one
    /// before of the same kind; the token is in the result only (show it once).
    ///
    /// A program feed lists every open item of the workflow its owner may see: it is for those
    /// who run programs (a community manager, an admin).
    ///
    /// - Throws: ``PodiumError`` `.notFound` for an unknown person or workflow, `.refused` when
    ///   someone who runs no program asks for a program feed.
    public func create(for handle: String, workflow: String? = nil) async throws -> (id: Int, token: String) {
        let token = SecretToken.random()
        let now = time.now()
        return try await pool.transaction(retry: .resilient) { db in
            let person = try await ActorStore.find(handle, on: db)
            if let workflow {
                guard !Set(person.roles).isDisjoint(with: TaskAdmin.operatorRoles) else {
                    throw PodiumError(
                        .refused, "\(handle) runs no program; a community manager or an admin may follow one",
                        reason: "not_permitted", details: ["handle": handle])
                }
                guard try await db.query("select 1 from workflow_versions where workflow = \(workflow)").first != nil
                else {
                    throw PodiumError(
                        .notFound, "no workflow named \(workflow) is loaded", reason: "workflow",
                        details: ["workflow": workflow])
                }
            }
            // One live feed a person (and one a program): a new address ends the one before.
            try await db.execute(
                """
                update calendar_feeds set revoked_at = \(now)
                 where actor = \(handle) and revoked_at is null and workflow is not distinct from \(workflow)
                """)
            let row = try await db.query(
                """
                insert into calendar_feeds (actor, token_sha256, created_at, workflow)
                values (\(handle), \(SecretToken.digest(token)), \(now), \(workflow)) returning id
                """
            ).single()
            return (try row.decode(Int.self, "id"), token)
        }
    }

    /// Revokes `handle`'s feeds (all of them, or feed `id`); returns how many were live.
    ///
    /// - Throws: ``PodiumError`` `.notFound` for an unknown person, and for an `id` that is not
    ///   a live feed of theirs (someone else's feed is not found either).
    public func revoke(for handle: String, id: Int? = nil) async throws -> Int {
        try await pool.transaction(retry: .resilient) { db in
            _ = try await ActorStore.find(handle, on: db)
            let ended = try await db.execute(
                """
                update calendar_feeds set revoked_at = \(time.now())
                 where actor = \(handle) and revoked_at is null and (\(id)::bigint is null or id = \(id))
                """)
            if let id, ended == 0 {
                throw PodiumError(
                    .notFound, "\(handle) has no live calendar feed #\(id)", hint: "list your feeds to see their ids",
                    reason: "calendar_feed", details: ["handle": handle])
            }
            return ended
        }
    }

    /// `handle`'s live feeds, newest first (never their addresses: only a digest of each is kept).
    public func list(for handle: String) async throws -> [CalendarFeed] {
        try await pool.query(
            """
            select id, workflow, created_at from calendar_feeds
             where actor = \(handle) and revoked_at is null order by id desc
            """
        ).map {
            CalendarFeed(
                id: try $0.decode(Int.self, "id"), workflow: try $0.decode(String?.self, "workflow"),
                createdAt: try $0.decode(Date.self, "created_at"))
        }
    }

    /// The person a live feed token belongs to, and the program it follows (nil: their own), or nil.
    public func owner(of token: String) async throws -> (person: ActorRecord, workflow: String?)? {
        guard token.utf8.count <= 100 else { return nil }
        let rows = try await pool.query(
            """
            select \(ActorStore.columnsOfA), f.workflow,
                   \(AbsenceStore.standingIn(for: "a.handle", at: time.now()))
              from calendar_feeds f join actors a on a.handle = f.actor
             where f.token_sha256 = \(SecretToken.digest(token)) and f.revoked_at is null
            """)
        return try rows.first.map { (try ActorStore.record($0), try $0.decode(String?.self, "workflow")) }
    }
}

/// A live calendar feed, as its owner lists it.
public struct CalendarFeed: Sendable, Codable {
    public let id: Int
    /// The program it follows; nil for the person's own feed.
    public let workflow: String?
    public let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, workflow
        case createdAt = "created_at"
    }
}

/// One event of a calendar feed.
public struct CalendarEvent: Sendable, Equatable {
    /// Stable across fetches, so a calendar app updates the event instead of adding another.
    public let uid: String
    public let start: Date
    public let summary: String
    public let description: String
    public let url: String?
    /// A day rather than a moment (a publish date given without a time): the event spans the
    /// day, in whatever zone the calendar shows it.
    public let allDay: Bool

    public init(uid: String, start: Date, summary: String, description: String, url: String?, allDay: Bool = false) {
        self.uid = uid
        self.start = start
        self.summary = summary
        self.description = description
        self.url = url
        self.allDay = allDay
    }
}

/// A calendar (RFC 5545) written by hand: its grammar is small, and what matters is that every
/// TEXT value is escaped (`\`, `;`, `,`, line breaks) and every line folded at 75 octets.
public enum ICalendar {
    /// The feed: `VCALENDAR` with one 30-minute `VEVENT` per event, lines ending CRLF.
    public static func render(_ events: [CalendarEvent], name: String, now: Date) -> String {
        var lines = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Podium//Podium//EN", "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH", "X-WR-CALNAME:\(text(name))",
        ]
        for event in events {
            let span =
                event.allDay
                ? [
                    "DTSTART;VALUE=DATE:\(stamp(event.start).prefix(8))",
                    "DTEND;VALUE=DATE:\(stamp(event.start.addingTimeInterval(86_400)).prefix(8))",
                ]
                : ["DTSTART:\(stamp(event.start))", "DTEND:\(stamp(event.start.addingTimeInterval(1800)))"]
            lines +=
                ["BEGIN:VEVENT", "UID:\(text(event.uid))", "DTSTAMP:\(stamp(now))"] + span + [
                    "SUMMARY:\(text(event.summary))", "DESCRIPTION:\(text(event.description))",
                ]
            if let url = event.url { lines.append("URL:\(url)") }
            lines.append("END:VEVENT")
        }
        lines.append("END:VCALENDAR")
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    /// A TEXT value: backslash, semicolon and comma escaped, line breaks as `\n`, other controls dropped.
    static func text(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case ";": result += "\\;"
            case ",": result += "\\,"
            case "\n": result += "\\n"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: continue
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A line folded at 75 octets (a CRLF and a space before each continuation), never inside a
    /// UTF-8 sequence (folded by scalars, so a long grapheme cannot overflow a line).
    static func fold(_ line: String) -> String {
        var parts: [String] = []
        var current = ""
        for scalar in line.unicodeScalars {
            let limit = parts.isEmpty ? 75 : 74
            if !current.isEmpty, current.utf8.count + String(scalar).utf8.count > limit {
                parts.append(current)
                current = ""
            }
            current.unicodeScalars.append(scalar)
        }
        parts.append(current)
        return parts.joined(separator: "\r\n ")
    }

    /// `20260310T090000Z`.
    static func stamp(_ date: Date) -> String {
        let iso = DataDate.format(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)))
        return iso.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }
}

extension ItemEngine {
    /// The events of `reader`'s feed: the due time of each open item that waits on them, and the
    /// planned publish date (`publish_at`) of each open item they take part in; read through
    /// ``inbox(for:limit:)``, so the same rules say what waits on whom.
    public func calendarEvents(for reader: ActorIdentity, itemURL: (Int) -> String) async throws -> [CalendarEvent] {
        let inbox = try await inbox(for: reader, limit: 200)
        var events: [CalendarEvent] = []
        for entry in inbox.waiting {
            guard let due = entry.item.dueAt else { continue }
            events.append(
                CalendarEvent(
                    uid: "podium-item-\(entry.item.id)-due-\(Int(due.timeIntervalSince1970))@podium", start: due,
                    summary: "Due: \(entry.item.title) (\(entry.item.stageTitle))",
                    description: entry.item.guidance.trimmingCharacters(in: .whitespacesAndNewlines),
                    url: itemURL(entry.item.id)))
        }
        for entry in inbox.waiting + inbox.following {
            guard let text = entry.item.data["publish_at"], let publish = DataDate.parse(text) else { continue }
            events.append(
                CalendarEvent(
                    uid: "podium-item-\(entry.item.id)-publish@podium", start: publish,
                    summary: "Publish: \(entry.item.title)", description: "The planned publish date.",
                    url: itemURL(entry.item.id), allDay: text.count == 10))
        }
        return events.sorted { ($0.start, $0.uid) < ($1.start, $1.uid) }
    }

    /// The events of a program feed: the due time and planned publish date of each open item of
    /// `workflow` that `reader` may see (the 500 due soonest), whoever it waits on.
    public func programEvents(of workflow: String, for reader: ActorIdentity, itemURL: (Int) -> String)
        async throws -> [CalendarEvent]
    {
        let rows = try await pool.query(
            """
            select i.id, i.title, i.version, i.stage, i.due_at, i.data ->> 'publish_at' as publish_at
              from items i
             where i.workflow = \(workflow) and i.closed_at is null and \(Self.readable(by: reader))
             order by i.due_at nulls last, i.id
             limit 500
            """)
        var events: [CalendarEvent] = []
        for row in rows {
            let id = try row.decode(Int.self, "id")
            let title = try row.decode(String.self, "title")
            if let due = try row.decode(Date?.self, "due_at") {
                let stage = try row.decode(String.self, "stage")
                let definition = try await definition(of: workflow, version: try row.decode(Int.self, "version"))
                events.append(
                    CalendarEvent(
                        uid: "podium-item-\(id)-due-\(Int(due.timeIntervalSince1970))@podium", start: due,
                        summary: "Due: \(title) (\(definition.stage(stage)?.title ?? stage))",
                        description: definition.title, url: itemURL(id)))
            }
            if let text = try row.decode(String?.self, "publish_at"), let publish = DataDate.parse(text) {
                events.append(
                    CalendarEvent(
                        uid: "podium-item-\(id)-publish@podium", start: publish, summary: "Publish: \(title)",
                        description: "The planned publish date.", url: itemURL(id), allDay: text.count == 10))
            }
        }
        return events.sorted { ($0.start, $0.uid) < ($1.start, $1.uid) }
    }
}
