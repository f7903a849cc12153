internal import Foundation
internal import LibPQ
internal import WorkflowLanguage

/// Workflow versions are immutable, so each process reads a definition once.
actor DefinitionCache {
    private var definitions: [String: WorkflowDefinition] = [:]

    /// The definition of `workflow@version`, read on `connection` the first time.
    func definition(_ workflow: String, version: Int, on connection: PostgresConnection) async throws
        -> WorkflowDefinition
    {
        let key = "\(workflow)@\(version)"
        if let cached = definitions[key] { return cached }
        let rows = try await connection.query(
            "select definition::text as definition from workflow_versions where workflow = \(workflow) and version = \(version)"
        )
        guard let row = rows.first else {
            throw PodiumError(.notFound, "workflow \(key) is not loaded", hint: "run podium workflow load")
        }
        let definition = try WorkflowDefinition.fromCanonicalJSON(Data(try row.decode(String.self, "definition").utf8))
        definitions[key] = definition
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
                hint: names.isEmpty ? "run podium workflow load" : "loaded: \(names.joined(separator: ", "))")
        }
        return (try await definition(workflow, version: version, on: connection), version)
    }
}
