public import Foundation
public import LibPQ
public import WorkflowLanguage

/// A business calendar as stored.
public struct StoredCalendar: Sendable, Codable {
    public let definition: CalendarDefinition
    /// 1 for the first load, one more for each load that changed it.
    public let revision: Int
    public let checksum: String
    public let loadedAt: Date
    public let sourcePath: String?

    enum CodingKeys: String, CodingKey {
        case definition, revision, checksum
        case loadedAt = "loaded_at"
        case sourcePath = "source_path"
    }
}

/// What loading a calendar file did.
public struct CalendarLoadOutcome: Sendable, Codable {
    public let name: String
    public let revision: Int
    /// False when the same content was already loaded under this name.
    public let changed: Bool
}

extension ItemEngine {
    /// Business calendars, sharing this engine's cache: a calendar loaded here counts in this
    /// engine's next deadline at once.
    public var calendars: CalendarStore { CalendarStore(pool: pool, definitions: definitions) }
}

/// Reads and writes business calendars (`podium calendar load`).
public struct CalendarStore: Sendable {
    let pool: PostgresPool
    let definitions: DefinitionCache

    init(pool: PostgresPool, definitions: DefinitionCache) {
        self.pool = pool
        self.definitions = definitions
    }

    /// A store on `pool` for processes that run no engine of their own (set-up, tests).
    public init(pool: PostgresPool) {
        self.init(pool: pool, definitions: DefinitionCache())
    }

    /// Stores `definition` under its name, replacing what was there: deadlines computed from
    /// now on count in it (this process at once, others within
    /// `DefinitionCache.calendarLifetime`); deadlines already set stay as they are.
    public func load(_ definition: CalendarDefinition, source: String, path: String?) async throws
        -> CalendarLoadOutcome
    {
        let canonical = String(decoding: definition.canonicalJSON(), as: UTF8.self)
        let checksum = definition.checksum
        let outcome = try await pool.transaction(retry: .resilient) { db in
            let rows = try await db.query(
                """
                insert into business_calendars (name, title, zone, definition, checksum, source, source_path)
                values (\(definition.name), \(definition.title), \(definition.zone), \(canonical)::jsonb, \(checksum),
                        \(source), \(path))
                on conflict (name) do update
                   set title = excluded.title, zone = excluded.zone, definition = excluded.definition,
                       checksum = excluded.checksum, source = excluded.source, source_path = excluded.source_path,
                       revision = business_calendars.revision + 1, loaded_at = now()
                 where business_calendars.checksum <> excluded.checksum
                returning revision
                """)
            if let row = rows.first {
                return CalendarLoadOutcome(
                    name: definition.name, revision: try row.decode(Int.self, "revision"), changed: true)
            }
            let same = try await db.query("select revision from business_calendars where name = \(definition.name)")
            return CalendarLoadOutcome(
                name: definition.name, revision: try same.single().decode(Int.self, "revision"), changed: false)
        }
        definitions.forgetCalendar(definition.name)
        return outcome
    }

    /// Every calendar, by name.
    public func list() async throws -> [StoredCalendar] {
        try await pool.query(
            """
            select definition::text as definition, revision, checksum, loaded_at, source_path
              from business_calendars order by name
            """
        ).map(Self.stored)
    }

    /// The calendar called `name`.
    ///
    /// - Throws: ``PodiumError`` `.notFound` when none is loaded under that name.
    public func show(_ name: String) async throws -> StoredCalendar {
        let rows = try await pool.query(
            """
            select definition::text as definition, revision, checksum, loaded_at, source_path
              from business_calendars where name = \(name)
            """)
        guard let row = rows.first else {
            throw PodiumError(
                .notFound, "no calendar named \(name) is loaded", hint: "load the calendar file first",
                reason: "calendar", details: ["calendar": name])
        }
        return try Self.stored(row)
    }

    private static func stored(_ row: PostgresRow) throws -> StoredCalendar {
        StoredCalendar(
            definition: try CalendarDefinition.fromCanonicalJSON(Data(try row.decode(String.self, "definition").utf8)),
            revision: try row.decode(Int.self, "revision"), checksum: try row.decode(String.self, "checksum"),
            loadedAt: try row.decode(Date.self, "loaded_at"), sourcePath: try row.decode(String?.self, "source_path"))
    }
}
