public import Foundation
public import LibPQ
public import WorkflowLanguage

/// A workflow version as stored: immutable once loaded.
public struct StoredWorkflow: Sendable {
    public let definition: WorkflowDefinition
    public let version: Int
    public let checksum: String
    public let loadedAt: Date
    public let sourcePath: String?
}

/// One line of `podium workflow list`.
public struct WorkflowSummary: Sendable, Codable {
    public let name: String
    public let title: String
    public let latestVersion: Int
    public let versions: Int
    public let loadedAt: Date

    enum CodingKeys: String, CodingKey {
        case name, title, versions
        case latestVersion = "latest_version"
        case loadedAt = "loaded_at"
    }
}

/// What loading a file did.
public struct LoadOutcome: Sendable, Codable {
    public let name: String
    public let version: Int
    /// False when an identical version was already loaded (nothing changed).
    public let isNew: Bool

    enum CodingKeys: String, CodingKey {
        case name, version
        case isNew = "new"
    }
}

/// Reads and writes workflow versions in PostgreSQL.
public struct WorkflowStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Stores `definition` as the next version unless an identical one (same checksum) exists.
    /// Concurrent loads of the same workflow serialise on an advisory lock.
    public func load(_ definition: WorkflowDefinition, source: String, path: String?) async throws -> LoadOutcome {
        let checksum = definition.checksum
        let canonical = String(decoding: definition.canonicalJSON(), as: UTF8.self)
        return try await pool.transaction(retry: .resilient) { db in
            try await db.execute("select pg_advisory_xact_lock(hashtext(\("podium.workflow." + definition.name)))")
            if let calendar = definition.calendar,
                try await db.query("select 1 from business_calendars where name = \(calendar)").first == nil
            {
                throw PodiumError(
                    .notFound,
                    "\(definition.name) names calendar \(calendar), which is not loaded",
                    hint: "load the calendar file first", reason: "calendar", details: ["calendar": calendar])
            }
            let existing = try await db.query(
                "select version from workflow_versions where workflow = \(definition.name) and checksum = \(checksum)")
            if let row = existing.first {
                return LoadOutcome(name: definition.name, version: try row.decode(Int.self, "version"), isNew: false)
            }
            let inserted = try await db.query(
                """
                insert into workflow_versions (workflow, version, checksum, source, source_path, definition)
                select \(definition.name), coalesce(max(version), 0) + 1, \(checksum), \(source), \(path),
                       \(canonical)::jsonb
                  from workflow_versions where workflow = \(definition.name)
                returning version
                """)
            return LoadOutcome(
                name: definition.name, version: try inserted.single().decode(Int.self, "version"), isNew: true)
        }
    }

    /// Every workflow with its newest version.
    public func list() async throws -> [WorkflowSummary] {
        let rows = try await pool.query(
            """
            select distinct on (workflow) workflow, version, definition->>'title' as title, loaded_at,
                   count(*) over (partition by workflow) as versions
              from workflow_versions order by workflow, version desc
            """)
        return try rows.map { row in
            WorkflowSummary(
                name: try row.decode(String.self, "workflow"), title: try row.decode(String.self, "title"),
                latestVersion: try row.decode(Int.self, "version"), versions: try row.decode(Int.self, "versions"),
                loadedAt: try row.decode(Date.self, "loaded_at"))
        }
    }

    /// A version of a workflow: the newest when `version` is nil.
    ///
    /// - Throws: ``PodiumError`` `.notFound` naming the workflows or versions that do exist.
    public func fetch(_ name: String, version: Int? = nil) async throws -> StoredWorkflow {
        let rows = try await pool.query(
            """
            select version, checksum, definition::text as definition, loaded_at, source_path
              from workflow_versions
             where workflow = \(name) and (\(version)::int is null or version = \(version))
             order by version desc limit 1
            """)
        guard let row = rows.first else {
            let known = try await pool.query("select distinct workflow from workflow_versions order by workflow")
            let names = try known.map { try $0.decode(String.self, "workflow") }
            if names.contains(name), let version {
                throw PodiumError(
                    .notFound, "\(name) has no version \(version)", hint: "list the workflows to see their versions",
                    reason: "version")
            }
            throw PodiumError(
                .notFound, "no workflow named \(name) is loaded",
                hint: names.isEmpty ? "load the workflow files first" : "loaded: \(names.joined(separator: ", "))",
                reason: "workflow")
        }
        let definition = try WorkflowDefinition.fromCanonicalJSON(Data(try row.decode(String.self, "definition").utf8))
        return StoredWorkflow(
            definition: definition, version: try row.decode(Int.self, "version"),
            checksum: try row.decode(String.self, "checksum"), loadedAt: try row.decode(Date.self, "loaded_at"),
            sourcePath: try row.decode(String?.self, "source_path"))
    }

    /// Open and overdue items per stage, across every version of `workflow`, for live graphs.
    public func liveCounts(_ workflow: String, now: Date) async throws -> [String: (open: Int, overdue: Int)] {
        let rows = try await pool.query(
            """
            select stage, count(*) as open, count(*) filter (where due_at < \(now)) as overdue
              from items where workflow = \(workflow) and closed_at is null
             group by stage
            """)
        var counts: [String: (open: Int, overdue: Int)] = [:]
        for row in rows {
            counts[try row.decode(String.self, "stage")] = (
                try row.decode(Int.self, "open"), try row.decode(Int.self, "overdue")
            )
        }
        return counts
    }
}
