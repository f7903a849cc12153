import Foundation
import Hummingbird
import PodiumCore
import WorkflowEngine
import WorkflowLanguage

/// `/api/v1/workflows`: list, show, graph, and validate a posted file with the same
/// `file:line:col` findings as `podium workflow validate`.
struct WorkflowRoutes {
    let services: PodiumServices

    func add(to router: Router<APIRequestContext>) {
        let workflows = router.group("/api/v1/workflows")
        workflows.get { _, context in
            _ = try context.requireCaller()
            return try APIJSON.response(WorkflowList(workflows: try await services.workflows.list()))
        }
        workflows.post("validate") { request, context in
            _ = try context.requireCaller()
            let body = try await APIJSON.body(Validation.self, from: request, context: context)
            let file = body.file ?? "workflow.yaml"
            let check = WorkflowParser.check(body.source)
            let findings = check.diagnostics.map { Finding(file: file, diagnostic: $0) }
            return try APIJSON.response(
                ValidationResult(
                    valid: check.validDefinition != nil, name: check.validDefinition?.name, findings: findings))
        }
        workflows.get("{name}") { request, context in
            _ = try context.requireCaller()
            let stored = try await fetch(request, context)
            let definition = try JSONSerialization.jsonObject(with: stored.definition.canonicalJSON())
            let head: [String: Any] = [
                "name": stored.definition.name, "version": stored.version, "checksum": stored.checksum,
                "loaded_at": DataDate.format(stored.loadedAt), "definition": definition,
            ]
            let data = try JSONSerialization.data(
                withJSONObject: head, options: [.sortedKeys, .withoutEscapingSlashes])
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        workflows.get("{name}/graph") { request, context in
            _ = try context.requireCaller()
            let formatName = request.uri.queryParameters.get("format") ?? "mermaid"
            guard let format = WorkflowGraph.Format(rawValue: formatName) else {
                throw Problem(status: .badRequest, code: "input.query", detail: "format must be mermaid or dot")
            }
            let stored = try await fetch(request, context)
            return try APIJSON.response(
                Graph(format: format.rawValue, text: WorkflowGraph.render(stored.definition, format: format)))
        }
    }

    private func fetch(_ request: Request, _ context: APIRequestContext) async throws -> StoredWorkflow {
        let version = try Query.integer(request.uri.queryParameters, "version", in: 1...Int(Int32.max))
        return try await services.workflows.fetch(try context.parameters.require("name"), version: version)
    }

    struct WorkflowList: Encodable {
        let workflows: [WorkflowSummary]
    }

    struct Validation: APIRequestBody {
        static let fields: Set<String> = ["source", "file"]
        /// The workflow file's text (YAML).
        let source: String
        /// The name findings are reported against; `workflow.yaml` by default.
        let file: String?
    }

    struct ValidationResult: Encodable {
        let valid: Bool
        let name: String?
        let findings: [Finding]
    }

    struct Graph: Encodable {
        let format: String
        let text: String
    }
}
