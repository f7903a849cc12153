import Foundation
import Hummingbird
import PodiumCore
import WorkflowEngine
import WorkflowLanguage

/// `/api/v1/workflows`: list, show, graph, and validate a posted file with the same
/// `file:line:col` findings as `podium workflow validate`.
struct WorkflowRoutes {
    let services: PodiumServices
    let validator = SerialValidator()

    /// The largest workflow file the API validates (64 KiB, ten times the largest shipped one):
    /// validation is CPU work, and a request should not hold a core for seconds.
    static let sourceLimit = 64 * 1024
    /// Findings returned at most; `omitted` counts the rest.
    static let findingsLimit = 200

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
            guard body.source.utf8.count <= Self.sourceLimit, (1...255).contains(file.utf8.count) else {
                throw Problem(
                    status: .unprocessableContent, code: "input.too_long",
                    detail:
                        "a workflow file here is at most \(Self.sourceLimit / 1024) KiB and its name 1 to 255 bytes; "
                        + "validate larger ones with podium workflow validate")
            }
            let check = await validator.check(body.source)
            let findings = check.diagnostics.prefix(Self.findingsLimit).map { Finding(file: file, diagnostic: $0) }
            let omitted = check.diagnostics.count - findings.count
            return try APIJSON.response(
                ValidationResult(
                    valid: check.validDefinition != nil, name: check.validDefinition?.name, findings: Array(findings),
                    omitted: omitted > 0 ? omitted : nil))
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
        /// Findings beyond ``findingsLimit``, left out.
        let omitted: Int?
    }

    struct Graph: Encodable {
        let format: String
        let text: String
    }
}

/// Runs workflow validations one at a time on a thread of their own, so CPU-bound parsing never
/// occupies the threads every other request (and `/healthz`) is answered on; requests beyond the
/// one running wait their turn.
final class SerialValidator: Sendable {
    private let queue = DispatchQueue(label: "podium.workflow-validation")

    func check(_ source: String) async -> WorkflowCheck {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: WorkflowParser.check(source)) }
        }
    }
}
