internal import Foundation
internal import LibPQ
internal import Synchronization
internal import WorkflowEngine
internal import WorkflowLanguage

/// Workflow versions are immutable, so each process reads a definition once. Lookups of a cached
/// definition are synchronous (a mutex, no actor hop), so that code running in place on a
/// connection's queue can use them.
///
/// Business calendars change (next year's holidays are loaded into the same name), so one is
/// kept for ``calendarLifetime`` and read again after: a calendar loaded in another process
/// counts in this one's new deadlines within that time, and at once in the process that loaded
/// it (``forgetCalendar(_:)``).
final class DefinitionCache: Sendable {
    private let definitions = Mutex<[String: WorkflowDefinition]>([:])
    private let calendars = Mutex<[String: (calendar: BusinessCalendar, readAt: ContinuousClock.Instant)]>([:])

    /// How long a business calendar read from the database is used before it is read again.
    static let calendarLifetime = Duration.seconds(60)

    /// Thrown by the synchronous lookups when what they need has not been read (or has aged);
    /// ``read(_:on:)`` reads it, and the caller tries again.
    enum Missing: Error {
        case definition(workflow: String, version: Int)
        case calendar(String)
    }

    /// The definition of `workflow@version` if this process has read it.
    func cached(_ workflow: String, version: Int) throws(Missing) -> WorkflowDefinition {
        guard let definition = definitions.withLock({ $0["\(workflow)@\(version)"] }) else {
            throw .definition(workflow: workflow, version: version)
        }
        return definition
    }

    /// The calendar `definition` counts business days in, if this process read it lately; nil
    /// when the stage `entering` counts none (so a missing calendar never stops the others).
    func cachedCalendar(for definition: WorkflowDefinition, entering stage: String) throws(Missing)
        -> BusinessCalendar?
    {
        guard let name = definition.calendar, definition.stage(stage)?.due?.countsBusinessDays == true else {
            return nil
        }
        let now = ContinuousClock.now
        guard let entry = calendars.withLock({ $0[name] }), now - entry.readAt < Self.calendarLifetime else {
            throw .calendar(name)
        }
        return entry.calendar
    }

    /// The calendar `definition` counts business days in, read on `connection` when it is not
    /// cached; nil when the stage `entering` counts none.
    func calendar(for definition: WorkflowDefinition, entering stage: String, on connection: PostgresConnection)
        async throws -> BusinessCalendar?
    {
        guard let name = definition.calendar, definition.stage(stage)?.due?.countsBusinessDays == true else {
            return nil
        }
        if let cached = try? cachedCalendar(for: definition, entering: stage) { return cached }
        return try await calendar(name, on: connection)
    }

    /// Reads what `missing` names, so the lookup that threw it succeeds when tried again.
    func read(_ missing: Missing, on connection: PostgresConnection) async throws {
        switch missing {
        case .definition(let workflow, let version):
            _ = try await definition(workflow, version: version, on: connection)
        case .calendar(let name): _ = try await calendar(name, on: connection)
        }
    }

    /// Drops the cached copy of calendar `name`: the next deadline reads it again.
    func forgetCalendar(_ name: String) {
        _ = calendars.withLock { $0.removeValue(forKey: name) }
    }

    private func calendar(_ name: String, on connection: PostgresConnection) async throws -> BusinessCalendar {
        let rows = try await connection.query(
            "select definition::text as definition from business_calendars where name = \(name)")
        guard let row = rows.first else {
            throw PodiumError(
                .notFound, "calendar \(name) is not loaded, and a workflow counts business days in it",
                hint: "load the calendar file first", reason: "calendar", details: ["calendar": name])
        }
        let definition = try CalendarDefinition.fromCanonicalJSON(Data(try row.decode(String.self, "definition").utf8))
        let calendar: BusinessCalendar
        do { calendar = try BusinessCalendar(definition) } catch {
            throw PodiumError(.schema, "calendar \(name): \(error.message)", hint: error.hint, reason: "calendar")
        }
        calendars.withLock { $0[name] = (calendar, ContinuousClock.now) }
        return calendar
    }

    /// The definition of `workflow@version`, read on `connection` the first time.
    func definition(_ workflow: String, version: Int, on connection: PostgresConnection) async throws
        -> WorkflowDefinition
    {
        let key = "\(workflow)@\(version)"
        if let cached = try? cached(workflow, version: version) { return cached }
        let rows = try await connection.query(
            "select definition::text as definition from workflow_versions where workflow = \(workflow) and version = \(version)"
        )
        guard let row = rows.first else {
            throw PodiumError(
                .notFound, "workflow \(key) is not loaded", hint: "load the workflow files first", reason: "workflow")
        }
        let definition = try WorkflowDefinition.fromCanonicalJSON(Data(try row.decode(String.self, "definition").utf8))
        definitions.withLock { $0[key] = definition }
        return definition
    }

    /// The newest version of `workflow`.
    func newest(_ workflow: String, on connection: PostgresConnection) async throws -> (WorkflowDefinition, Int) {
        let rows = try await connection.query(
            "select max(version) as version from workflow_versions where workflow = \(workflow)")
        guard let version = try rows.single().decode(Int?.self, "version") else {
            let known = try await connection.query("select distinct workflow from workflow_versions order by 1")
            let names = try known.map { try $0.decode(String.self, at: 0) }
            throw PodiumError(
                .notFound, "no workflow named \(workflow) is loaded",
                hint: names.isEmpty ? "load the workflow files first" : "loaded: \(names.joined(separator: ", "))",
                reason: "workflow")
        }
        return (try await definition(workflow, version: version, on: connection), version)
    }
}
