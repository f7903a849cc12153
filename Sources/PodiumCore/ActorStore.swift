import Foundation
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

    enum CodingKeys: String, CodingKey {
        case handle, name, roles, timezone, channel
        case workingHours = "working_hours"
    }

    /// The identity the decision core uses.
    public var identity: ActorIdentity { ActorIdentity(handle: handle, globalRoles: Set(roles)) }
}

/// Adds and reads actors.
public struct ActorStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Checks an actor's fields without a database, so a command can refuse bad input before it
    /// connects; returns the display name as stored (trimmed).
    ///
    /// - Throws: `PodiumError` `.usage` for a handle that is not lowercase letters, digits, `.`,
    ///   `_` or `-`; a role that is not snake_case; a time zone that is not a tz database name
    ///   (see `TimeZoneName`); unreadable working hours; an empty or too long name. `.refused`
    ///   for `system`.
    public static func check(
        handle: String, name: String, roles: [String], timezone: String, workingHours: String?
    ) throws(PodiumError) -> String {
        guard handle.count <= 63, handle.first.map({ $0.isLowercase || $0.isNumber }) == true,
            handle.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || "._-".contains($0)) })
        else {
            throw PodiumError(.usage, "handle \"\(handle)\" must be lowercase letters, digits, '.', '_' or '-'")
        }
        guard handle != ActorIdentity.system.handle else {
            throw PodiumError(.refused, "\"system\" is Podium's own actor for timers and cannot be changed")
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
        return try InputLimits.text(name, what: "name", limit: 200)
    }

    /// Adds an actor, or updates the one with this handle.
    ///
    /// - Throws: `PodiumError` `.usage` for what ``check(handle:name:roles:timezone:workingHours:)``
    ///   refuses, `.refused` for `system`.
    public func add(
        handle: String, name: String, roles: [String], timezone: String, channel: String?, workingHours: String?
    ) async throws -> ActorRecord {
        let displayName = try Self.check(
            handle: handle, name: name, roles: roles, timezone: timezone, workingHours: workingHours)
        let rows = try await pool.query(
            """
            insert into actors (handle, display_name, roles, timezone, channel, working_hours)
            values (\(handle), \(displayName), \(roles), \(timezone), \(channel),
                    coalesce(\(workingHours), 'Mon-Fri 09:00-18:00'))
            on conflict (handle) do update
               set display_name = excluded.display_name, roles = excluded.roles, timezone = excluded.timezone,
                   channel = excluded.channel, working_hours = excluded.working_hours
            returning handle, display_name, roles, timezone, channel, working_hours
            """)
        return try Self.record(rows.single())
    }

    /// Every actor, by handle.
    public func list() async throws -> [ActorRecord] {
        try await pool.query(
            "select handle, display_name, roles, timezone, channel, working_hours from actors order by handle"
        ).map(Self.record)
    }

    /// The actor with this handle, read on `connection` (inside a transaction).
    static func find(_ handle: String, on connection: PostgresConnection) async throws -> ActorRecord {
        let rows = try await connection.query(
            "select handle, display_name, roles, timezone, channel, working_hours from actors where handle = \(handle)")
        guard let row = rows.first else {
            throw PodiumError(
                .notFound, "no actor named \(handle)", hint: "add one with podium actor add \(handle) --name NAME")
        }
        return try record(row)
    }

    static func record(_ row: PostgresRow) throws -> ActorRecord {
        ActorRecord(
            handle: try row.decode(String.self, "handle"), name: try row.decode(String.self, "display_name"),
            roles: try row.decode([String].self, "roles"), timezone: try row.decode(String.self, "timezone"),
            channel: try row.decode(String?.self, "channel"), workingHours: try row.decode(String.self, "working_hours")
        )
    }
}
