public import Foundation
public import LibPQ
internal import WorkflowEngine

/// A person away: when, until when, and who stands in for them.
public struct Absence: Sendable, Codable, Equatable {
    public let id: Int
    public let actor: String
    /// When the absence starts and ends (exclusive).
    public let startsAt: Date
    public let endsAt: Date
    /// Who acts for them meanwhile; nil: nobody (their reminders wait until they are back).
    public let delegate: String?
    public let note: String?
    public let createdBy: String
    /// When it was ended early (`podium actor back`), and by whom.
    public let endedAt: Date?
    public let endedBy: String?

    /// When the person is back: the end, or the moment it was ended early.
    public var backAt: Date { endedAt.map { min($0, endsAt) } ?? endsAt }

    /// True while the absence holds at `date`.
    public func isActive(at date: Date) -> Bool { startsAt <= date && date < backAt }

    enum CodingKeys: String, CodingKey {
        case id, actor, delegate, note
        case startsAt = "starts_at"
        case endsAt = "ends_at"
        case createdBy = "created_by"
        case endedAt = "ended_at"
        case endedBy = "ended_by"
    }
}

/// When an absence starts or ends, as a person writes it: an instant (`2026-12-21T09:00:00Z`), or
/// a day (`2026-12-21`), which means the start of that day on the person's own clock.
public enum AbsenceBoundary: Sendable, Equatable {
    case instant(Date)
    /// Days since 1970-01-01.
    case day(Int)

    /// Reads `YYYY-MM-DD` as a day and anything else RFC 3339 accepts as an instant; nil for
    /// text that is neither.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 3, parts[0].count == 4, let date = DataDate.parse(text), !text.contains("T"),
            !text.contains("t")
        {
            self = .day(Int((date.timeIntervalSince1970 / 86_400).rounded(.down)))
        } else if let date = DataDate.parse(text) {
            self = .instant(date)
        } else {
            return nil
        }
    }

    /// The instant this boundary names for someone in `zone`.
    public func resolved(in zone: TimeZone) -> Date {
        switch self {
        case .instant(let date): date
        case .day(let day): WallClock(zone).firstInstant(atOrAfter: WallClock.LocalTime(day: day, second: 0))
        }
    }
}

/// Absences and delegation (`podium actor away`, `actor back`, the inbox's "I'm away").
///
/// During an absence its delegate may do what the person could on their items (the decider's
/// ``ActorIdentity/standsInFor``), recorded as "delegate for person", and reminders and
/// escalations for the person go to the delegate; without a delegate they wait until the person
/// is back, and `stuck` says so. Delegation is one level: whom a delegate stands in for is not
/// passed on when the delegate is away too.
public struct AbsenceStore: Sendable {
    let pool: PostgresPool
    let time: any TimeSource

    public init(pool: PostgresPool, time: any TimeSource = SystemTime()) {
        self.pool = pool
        self.time = time
    }

    /// The longest absence one entry may cover: a year.
    public static let longest: TimeInterval = 366 * 86_400

    /// Records that `handle` is away from `start` until `end`, with `delegate` standing in.
    ///
    /// Who may: the person themselves, a community manager or an admin. Absences of one person
    /// may not overlap (end or shorten the first with ``back(_:by:)``).
    ///
    /// - Throws: `PodiumError` `.usage` for an end not after the start, an end in the past, a
    ///   period over a year, a delegate who is the person, or a note over 500 characters;
    ///   `.notFound` for an unknown person or delegate; `.refused` when `author` may not, or the
    ///   period overlaps another.
    public func away(
        _ handle: String, from starting: AbsenceBoundary?, until ending: AbsenceBoundary, delegate: String?,
        note: String?, by author: String
    ) async throws -> Absence {
        let now = time.now()
        let person = try await ActorStore(pool: pool, time: time).find(handle)
        let zone = (try? TimeZoneName.zone(person.timezone)) ?? .gmt
        let start = starting?.resolved(in: zone) ?? now
        let end = ending.resolved(in: zone)
        guard end > start else {
            throw PodiumError(.usage, "an absence must end after it starts (\(DataDate.format(start)))")
        }
        guard end > now else { throw PodiumError(.usage, "that absence would be over already") }
        guard end.timeIntervalSince(start) <= Self.longest else {
            throw PodiumError(.usage, "an absence may last at most a year; record a longer one in parts")
        }
        if delegate == handle {
            throw PodiumError(.usage, "\(handle) cannot stand in for themselves", reason: "delegate")
        }
        if delegate?.isEmpty == true {
            throw PodiumError(.usage, "name who stands in, or nobody", reason: "delegate")
        }
        if [handle, delegate].contains(ActorIdentity.system.handle) {
            throw PodiumError(
                .refused, "\"system\" fires timers; it is never away and stands in for nobody", reason: "system_actor")
        }
        if delegate == author && author != handle {
            throw PodiumError(
                .refused,
                "\(author) may not name themselves \(handle)'s stand-in; \(handle), or another community manager or admin, may",
                reason: "not_permitted", details: ["handle": handle])
        }
        let note = try note.map { try InputLimits.text($0, what: "note", limit: 500) }
        return try await pool.transaction(retry: .resilient) { db in
            try await Self.authorise(author, toChange: handle, on: db)
            // The person's row serialises their absences: no two overlapping ones slip in together.
            try await db.execute("select 1 from actors where handle = \(handle) for update")
            if let delegate { _ = try await ActorStore.find(delegate, on: db) }
            let overlapping = try await db.query(
                """
                select id, starts_at, least(ended_at, ends_at) as back_at from absences
                 where actor = \(handle) and starts_at < \(end) and least(ended_at, ends_at) > \(start)
                 limit 1
                """)
            if let row = overlapping.first {
                throw PodiumError(
                    .refused,
                    "\(handle) is already away from \(DataDate.format(try row.decode(Date.self, "starts_at"))) "
                        + "until \(DataDate.format(try row.decode(Date.self, "back_at")))",
                    hint: "end that absence first, then record the new one", reason: "absence_overlaps",
                    details: ["handle": handle])
            }
            let rows = try await db.query(
                """
                insert into absences (actor, starts_at, ends_at, delegate, note, created_by, created_at)
                values (\(handle), \(start), \(end), \(delegate), \(note), \(author), \(now))
                returning \(Self.columns)
                """)
            return try Self.absence(rows.single())
        }
    }

    /// Ends `handle`'s current absence now, or cancels the next one if none holds now.
    ///
    /// - Throws: `PodiumError` `.notFound` when they are not away and no absence lies ahead;
    ///   `.refused` when `author` may not.
    public func back(_ handle: String, by author: String) async throws -> Absence {
        let now = time.now()
        return try await pool.transaction(retry: .resilient) { db in
            try await Self.authorise(author, toChange: handle, on: db)
            let rows = try await db.query(
                """
                update absences set ended_at = \(now), ended_by = \(author)
                 where id = (select id from absences where actor = \(handle) and ended_at is null and ends_at > \(now)
                              order by starts_at limit 1)
                returning \(Self.columns)
                """)
            guard let row = rows.first else {
                throw PodiumError(
                    .notFound, "\(handle) is not away, and no absence of theirs lies ahead", reason: "absence",
                    details: ["handle": handle])
            }
            let ended = try Self.absence(row)
            // What waited until they were back reaches them now.
            try await Self.release(handle, heldUntil: ended.endsAt, at: now, on: db)
            return ended
        }
    }

    /// The absences that have not ended by now, of `handle` or of everyone, soonest first.
    public func current(of handle: String? = nil) async throws -> [Absence] {
        let now = time.now()
        return try await pool.query(
            """
            select \(Self.columns) from absences
             where (\(handle)::text is null or actor = \(handle))
               and least(ended_at, ends_at) > \(now)
             order by starts_at, actor
            """
        ).map(Self.absence)
    }

    /// Brings back to `now` the pending tasks of `handle`'s items, and their digests, that were
    /// held until `heldUntil` (their absence's or pause's end), when it ended early.
    static func release(_ handle: String, heldUntil: Date, at now: Date, on db: PostgresConnection) async throws {
        try await db.execute(
            """
            update tasks set run_at = \(now)
             where status = \(TaskStatus.pending.sql) and run_at = \(heldUntil)
               and (recipient = \(handle)
                    or item_id in (select item_id from participants where actor = \(handle)))
            """)
    }

    static let columns: PostgresQuery =
        "id, actor, starts_at, ends_at, delegate, note, created_by, ended_at, ended_by"

    static func absence(_ row: PostgresRow) throws -> Absence {
        Absence(
            id: try row.decode(Int.self, "id"), actor: try row.decode(String.self, "actor"),
            startsAt: try row.decode(Date.self, "starts_at"), endsAt: try row.decode(Date.self, "ends_at"),
            delegate: try row.decode(String?.self, "delegate"), note: try row.decode(String?.self, "note"),
            createdBy: try row.decode(String.self, "created_by"), endedAt: try row.decode(Date?.self, "ended_at"),
            endedBy: try row.decode(String?.self, "ended_by"))
    }

    /// The person themselves, a community manager or an admin may record or end an absence.
    static func authorise(_ author: String, toChange handle: String, on db: PostgresConnection) async throws {
        let changer = try await ActorStore.find(author, on: db)
        let person = try await ActorStore.find(handle, on: db)
        let isAdmin = changer.roles.contains(ActorIdentity.adminRole)
        // An admin's absence is an admin's (or their own) to record: whoever stands in reads
        // what the person away may.
        let mayFor =
            person.roles.contains(ActorIdentity.adminRole)
            ? isAdmin : isAdmin || changer.roles.contains("community_manager")
        guard author == handle || mayFor else {
            throw PodiumError(
                .refused,
                "\(author) may not record absences for \(handle); they themselves, a community manager or an admin may"
                    + " (an admin's, only an admin)",
                reason: "not_permitted", details: ["handle": handle])
        }
    }

    /// A select-list column `standing_in`: the people away at `now` who named `delegate` (an
    /// SQL expression) to stand in for them, with their global roles, as JSON pairs
    /// `[handle, "role,role"]` (see ``standsInFor(_:)``).
    static func standingIn(for delegate: PostgresQuery, at now: Date) -> PostgresQuery {
        """
        (select coalesce(json_agg(json_build_array(ab.actor, array_to_string(x.roles, ',')) order by ab.actor), '[]')
           from absences ab join actors x on x.handle = ab.actor
          where ab.delegate = \(delegate) and ab.starts_at <= \(now)
            and least(ab.ended_at, ab.ends_at) > \(now))::text as standing_in
        """
    }

    /// The identities a `standing_in` column holds; none when the row has no such column.
    static func standsInFor(_ row: PostgresRow) throws -> [ActorIdentity] {
        guard let text = row["standing_in"] else { return [] }
        let pairs =
            try JSONStringsReader.arrays(text) ?? JSONDecoder().decode([[String]].self, from: Data(text.utf8))
        return pairs.compactMap { pair in
            guard pair.count == 2 else { return nil }
            // A stand-in acts on the person's items, never with an operator's reach.
            return ActorIdentity(
                handle: pair[0],
                globalRoles: Set(pair[1].split(separator: ",").map(String.init)).subtracting([ActorIdentity.adminRole]))
        }
    }
}
