public import Foundation
public import LibPQ
public import WorkflowEngine

/// A person (or `system`) known to Podium.
public struct ActorRecord: Sendable, Codable, Equatable {
    public let handle: String
    public let name: String
    public let roles: [String]
    public let timezone: String
    public let channel: String?
    public let workingHours: String
    /// Every reminder when it falls due, or one daily digest.
    public var delivery: DeliveryPreference = .immediate
    /// When their digest goes out, `HH:MM` on their clock, on their working days.
    public var digestAt = "08:30"
    /// Until when nothing reaches them (it waits until then), or nil.
    public var pausedUntil: Date? = nil
    /// The people away who named this person to stand in for them, when the record was read
    /// with ``AbsenceStore/standingIn(for:at:)``; empty otherwise.
    public var standsInFor: [ActorIdentity] = []

    enum CodingKeys: String, CodingKey {
        case handle, name, roles, timezone, channel, delivery
        case workingHours = "working_hours"
        case digestAt = "digest_at"
        case pausedUntil = "paused_until"
    }

    /// The identity the decision core uses, with whom the person stands in for.
    public var identity: ActorIdentity {
        ActorIdentity(handle: handle, globalRoles: Set(roles), standsInFor: standsInFor)
    }
}

/// How a person hears from Podium.
public enum DeliveryPreference: String, Sendable, Codable, CaseIterable {
    /// Each reminder when it falls due (in their working hours).
    case immediate
    /// One message a day, at their `digest_at` on their working days, listing what is due or
    /// overdue; escalations still come at once (see ``AbsenceStore`` for pauses and absences).
    case digest
}

/// Adds and reads actors.
public struct ActorStore: Sendable {
    /// The columns ``record(_:)`` reads, of `actors`.
    static let columns: PostgresQuery =
        "handle, display_name, roles, timezone, channel, working_hours, delivery, digest_at, paused_until"
    /// ``columns`` of `actors a`.
    static let columnsOfA: PostgresQuery =
        "a.handle, a.display_name, a.roles, a.timezone, a.channel, a.working_hours, a.delivery, a.digest_at, a.paused_until"

    let pool: PostgresPool
    let time: any TimeSource

    public init(pool: PostgresPool, time: any TimeSource = SystemTime()) {
        self.pool = pool
        self.time = time
    }

    /// Checks an actor's fields without a database, so a command can refuse bad input before it
    /// connects; returns the display name as stored (trimmed).
    ///
    /// - Throws: `PodiumError` `.usage` for a handle that is not lowercase letters, digits, `.`,
    ///   `_` or `-`; a role that is not snake_case; a time zone that is not a tz database name
    ///   (see `TimeZoneName`); unreadable working hours; an empty or too long name. `.refused`
    ///   for `system`.
    public static func check(
        handle: String, name: String, roles: [String], timezone: String, channel: String? = nil,
        workingHours: String?
    ) throws(PodiumError) -> String {
        guard handle.count <= 63, handle.first.map({ $0.isLowercase || $0.isNumber }) == true,
            handle.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || "._-".contains($0)) })
        else {
            throw PodiumError(.usage, "handle \"\(handle)\" must be lowercase letters, digits, '.', '_' or '-'")
        }
        guard handle != ActorIdentity.system.handle else {
            throw PodiumError(
                .refused, "\"system\" is Podium's own actor for timers and cannot be changed", reason: "system_actor")
        }
        for role in roles where !InputLimits.isName(role) {
            throw PodiumError(.usage, "role \"\(role)\" must be snake_case")
        }
        do {
            _ = try TimeZoneName.zone(timezone)
        } catch {
            throw PodiumError(.usage, error.message, hint: error.hint)
        }
        if let workingHours {
            do {
                _ = try WorkingHours(parsing: workingHours)
            } catch {
                throw PodiumError(.usage, error.description)
            }
        }
        if let channel { _ = try DeliveryChannel(spec: channel) }
        let displayName = try InputLimits.text(name, what: "name", limit: 200)
        // A name is one line: it stands in lists, messages and timelines.
        guard !displayName.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw PodiumError(.usage, "the name must be one line of text, without control characters")
        }
        return displayName
    }

    /// Adds an actor. An existing handle is refused: ``update(_:changes:by:)`` changes one,
    /// field by field, so nothing left out is lost.
    ///
    /// - Throws: `PodiumError` `.usage` for what
    ///   ``check(handle:name:roles:timezone:channel:workingHours:)`` refuses, `.refused` for
    ///   `system` and for a handle that exists.
    public func add(
        handle: String, name: String, roles: [String], timezone: String, channel: String?, workingHours: String?
    ) async throws -> ActorRecord {
        let displayName = try Self.check(
            handle: handle, name: name, roles: roles, timezone: timezone, channel: channel,
            workingHours: workingHours)
        let rows = try await pool.query(
            """
            insert into actors (handle, display_name, roles, timezone, channel, working_hours)
            values (\(handle), \(displayName), \(roles), \(timezone), \(channel),
                    coalesce(\(workingHours), 'Mon-Fri 09:00-18:00'))
            on conflict (handle) do nothing
            returning \(Self.columns)
            """)
        guard let row = rows.first else {
            throw PodiumError(
                .refused, "actor \(handle) exists already",
                hint: "update the person instead: only what you give changes", reason: "actor_exists",
                details: ["handle": handle])
        }
        return try Self.record(row)
    }

    /// Changes the fields of `handle` that `changes` gives and nothing else, and records the
    /// change (before and after, who, when) in `actor_changes`.
    ///
    /// Who may: global roles only an admin gives or takes (a role is power on every item, so
    /// nobody gives one to themselves); name, time zone, channel and working hours the person
    /// themselves, a community manager or an admin.
    ///
    /// - Throws: `PodiumError` `.notFound` for an unknown actor or `by`; `.refused` when `by` may
    ///   not make the change; `.usage` for values
    ///   ``check(handle:name:roles:timezone:channel:workingHours:)`` refuses, a role both added
    ///   and removed, or an empty change.
    public func update(_ handle: String, changes: ActorChanges, by author: String) async throws -> ActorRecord {
        guard !changes.isEmpty else {
            throw PodiumError(
                .usage, "nothing to change", hint: "give a name, roles to add or remove, a time zone, ...")
        }
        var changes = changes
        if let digestAt = changes.digestAt {
            guard let minutes = DigestSchedule.minutes(digestAt) else {
                throw PodiumError(.usage, "a digest time is HH:MM on the person's clock, e.g. 08:30, not \(digestAt)")
            }
            changes.digestAt = DigestSchedule.text(minutes)
        }
        if let both = changes.addRoles.first(where: changes.removeRoles.contains) {
            throw PodiumError(.usage, "role \(both) is both added and removed", reason: "contradiction")
        }
        let now = time.now()
        return try await pool.transaction(retry: .resilient) { db in
            let changer = try await Self.find(author, on: db)
            let isAdmin = changer.roles.contains(ActorIdentity.adminRole)
            if !(changes.addRoles.isEmpty && changes.removeRoles.isEmpty) && !isAdmin {
                throw PodiumError(
                    .refused, "\(author) may not change anyone's global roles; an admin may",
                    reason: "not_admin", details: ["handle": author])
            }
            guard isAdmin || author == handle || changer.roles.contains("community_manager") else {
                throw PodiumError(
                    .refused,
                    "\(author) may not change \(handle); they themselves, a community manager or an admin may",
                    reason: "not_permitted", details: ["handle": handle])
            }
            let rows = try await db.query(
                """
                select \(Self.columns) from actors
                 where handle = \(handle) for update
                """)
            guard let row = rows.first else {
                throw PodiumError(
                    .notFound, "no actor named \(handle)", hint: "add the person first",
                    reason: "actor", details: ["handle": handle])
            }
            let before = try Self.record(row)
            let after = changes.applied(to: before)
            if let pause = after.pausedUntil, pause != before.pausedUntil,
                pause.timeIntervalSince(now) > AbsenceStore.longest
            {
                throw PodiumError(.usage, "a pause may last at most a year", reason: "pause")
            }
            if let ended = before.pausedUntil, ended > now, after.pausedUntil.map({ $0 <= now }) ?? true {
                // A pause ended early: what waited for it reaches them now.
                try await AbsenceStore.release(handle, heldUntil: ended, at: now, on: db)
            }
            let displayName = try Self.check(
                handle: handle, name: after.name, roles: after.roles, timezone: after.timezone,
                channel: after.channel, workingHours: after.workingHours)
            let updated = try await db.query(
                """
                update actors set display_name = \(displayName), roles = \(after.roles), timezone = \(after.timezone),
                                  channel = \(after.channel), working_hours = \(after.workingHours),
                                  delivery = \(after.delivery.rawValue), digest_at = \(after.digestAt),
                                  paused_until = \(after.pausedUntil)
                 where handle = \(handle)
                returning \(Self.columns)
                """)
            let record = try Self.record(updated.single())
            try await db.execute(
                """
                insert into actor_changes (handle, changed_by, before, after, at)
                values (\(handle), \(author), \(PostgresJSON(before)), \(PostgresJSON(record)), \(now))
                """)
            return record
        }
    }

    /// The actor with this handle.
    ///
    /// - Throws: ``PodiumError`` `.notFound` when nobody has it.
    public func find(_ handle: String) async throws -> ActorRecord {
        let rows = try await pool.query(
            """
            select \(Self.columnsOfA), \(AbsenceStore.standingIn(for: "a.handle", at: time.now()))
              from actors a where a.handle = \(handle)
            """)
        guard let row = rows.first else { throw Self.unknown(handle) }
        return try Self.record(row)
    }

    /// The display names of `handles`, by handle (unknown handles left out): one query for the
    /// people a page shows, not a read of everyone.
    public func names(of handles: Set<String>) async throws -> [String: String] {
        guard !handles.isEmpty else { return [:] }
        var names: [String: String] = [:]
        for row in try await pool.query(
            "select handle, display_name from actors where handle = any(\(Array(handles))::text[])")
        {
            names[try row.decode(String.self, "handle")] = try row.decode(String.self, "display_name")
        }
        return names
    }

    /// Every actor, by handle.
    public func list() async throws -> [ActorRecord] {
        try await pool.query(
            "select \(Self.columns) from actors order by handle"
        ).map(Self.record)
    }

    /// The actor with this handle, read on `connection` (inside a transaction).
    static func find(_ handle: String, on connection: PostgresConnection) async throws -> ActorRecord {
        let rows = try await connection.query(
            "select \(Self.columns) from actors where handle = \(handle)")
        guard let row = rows.first else { throw unknown(handle) }
        return try record(row)
    }

    static func unknown(_ handle: String) -> PodiumError {
        PodiumError(
            .notFound, "no actor named \(handle)", hint: "add the person first", reason: "actor",
            details: ["handle": handle])
    }

    static func record(_ row: PostgresRow) throws -> ActorRecord {
        ActorRecord(
            handle: try row.decode(String.self, "handle"), name: try row.decode(String.self, "display_name"),
            roles: try row.decode([String].self, "roles"), timezone: try row.decode(String.self, "timezone"),
            channel: try row.decode(String?.self, "channel"),
            workingHours: try row.decode(String.self, "working_hours"),
            delivery: try DeliveryPreference(rawValue: row.decode(String.self, "delivery")) ?? .immediate,
            digestAt: try row.decode(String.self, "digest_at"), pausedUntil: try row.decode(Date?.self, "paused_until"),
            standsInFor: try AbsenceStore.standsInFor(row))
    }
}

/// What `podium actor update` changes; a nil field stays as it is.
public struct ActorChanges: Sendable {
    public var name: String?
    public var addRoles: [String] = []
    public var removeRoles: [String] = []
    public var timezone: String?
    /// A new channel spec; `clearChannel` returns the person to the worker's default channel.
    public var channel: String?
    public var clearChannel = false
    public var workingHours: String?
    /// Immediate messages or a daily digest.
    public var delivery: DeliveryPreference?
    /// The digest's time, `HH:MM` on the person's clock.
    public var digestAt: String?
    /// Nothing reaches them until then (a day is the start of it on their clock; at most a
    /// year ahead); `resume` ends a pause.
    public var pausedUntil: AbsenceBoundary?
    public var resume = false

    public init(
        name: String? = nil, addRoles: [String] = [], removeRoles: [String] = [], timezone: String? = nil,
        channel: String? = nil, clearChannel: Bool = false, workingHours: String? = nil,
        delivery: DeliveryPreference? = nil, digestAt: String? = nil, pausedUntil: AbsenceBoundary? = nil,
        resume: Bool = false
    ) {
        self.name = name
        self.addRoles = addRoles
        self.removeRoles = removeRoles
        self.timezone = timezone
        self.channel = channel
        self.clearChannel = clearChannel
        self.workingHours = workingHours
        self.delivery = delivery
        self.digestAt = digestAt
        self.pausedUntil = pausedUntil
        self.resume = resume
    }

    var isEmpty: Bool {
        name == nil && addRoles.isEmpty && removeRoles.isEmpty && timezone == nil && channel == nil && !clearChannel
            && workingHours == nil && delivery == nil && digestAt == nil && pausedUntil == nil && !resume
    }

    func applied(to record: ActorRecord) -> ActorRecord {
        var roles = record.roles.filter { !removeRoles.contains($0) }
        for role in addRoles where !roles.contains(role) { roles.append(role) }
        return ActorRecord(
            handle: record.handle, name: name ?? record.name, roles: roles, timezone: timezone ?? record.timezone,
            channel: clearChannel ? nil : channel ?? record.channel, workingHours: workingHours ?? record.workingHours,
            delivery: delivery ?? record.delivery, digestAt: digestAt ?? record.digestAt,
            pausedUntil: resume
                ? nil
                : pausedUntil.map { $0.resolved(in: (try? TimeZoneName.zone(timezone ?? record.timezone)) ?? .gmt) }
                    ?? record.pausedUntil,
            standsInFor: record.standsInFor)
    }
}
