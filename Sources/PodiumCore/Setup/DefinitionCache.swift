internal import Foundation
internal import LibPQ
internal import Synchronization
internal import WorkflowLanguage

/// Workflow versions are immutable, so each process reads a definition once. Lookups of a cached
/// definition are synchronous (a mutex, no actor hop), so that code running in place on a
/// connection's queue can use them.
final class DefinitionCache: Sendable {
    private let definitions = Mutex<[String: WorkflowDefinition]>([:])

    /// Thrown by ``cached(_:version:)`` when a definition has not been read yet.
    struct Missing: Error {
        let workflow: String
        let version: Int
    }

    /// The definition of `workflow@version` if this process has read it.
    func cached(_ workflow: String, version: Int) throws(Missing) -> WorkflowDefinition {
        guard let definition = definitions.withLock({ $0["\(workflow)@\(version)"] }) else {
            throw Missing(workflow: workflow, version: version)
        }
        return definition
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
