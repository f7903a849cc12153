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

    /// Adds an actor, or updates the one with this handle.
    public func add(
        handle: String, name: String, roles: [String], timezone: String, channel: String?, workingHours: String?
    ) async throws -> ActorRecord {
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
        guard TimeZone(identifier: timezone) != nil else {
            throw PodiumError(
                .usage, "unknown time zone \"\(timezone)\"", hint: "use an Area/City name such as Europe/Paris")
        }
        if let workingHours {
            do {
                _ = try WorkingHours(parsing: workingHours)
            } catch {
                throw PodiumError(.usage, error.description)
            }
        }
        let displayName = try InputLimits.text(name, what: "name", limit: 200)
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
