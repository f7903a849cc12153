import Foundation
import Hummingbird
import PodiumCore
import WorkflowEngine

/// Operators' routes: stuck items, tasks (list, retry, cancel, each with `dry_run`), moving and
/// cancelling an item with a reason, and the flow and impact reports. Who may do what is the
/// core's to say, as in the CLI.
struct OperatorRoutes {
    let services: PodiumServices

    func add(to router: Router<APIRequestContext>) {
        router.get("/api/v1/stuck") { request, context in
            let caller = try context.requireCaller()
            let query = request.uri.queryParameters
            let (items, readable) = try await services.read { services in
                let items = try await services.stuck.find(workflow: query.get("workflow"), stage: query.get("stage"))
                return (items, try await services.engine.readable(items.map(\.itemID), by: caller.identity))
            }
            return try APIJSON.response(Stuck(items: items.filter { readable.contains($0.itemID) }))
        }
        router.get("/api/v1/tasks") { request, context in
            let caller = try context.requireCaller()
            let query = request.uri.queryParameters
            let limit = try Query.integer(query, "limit", in: 1...500) ?? 100
            let (tasks, readable) = try await services.read { services in
                let tasks = try await services.tasks.list(status: query.get("status"), limit: limit)
                return (
                    tasks,
                    try await services.engine.readable(Array(Set(tasks.compactMap(\.itemID))), by: caller.identity)
                )
            }
            // A digest is a person's: theirs to see, and their operators'.
            let runsPrograms = !Set(caller.roles).isDisjoint(with: TaskAdmin.operatorRoles)
            return try APIJSON.response(
                Tasks(
                    tasks: tasks.filter {
                        $0.itemID.map(readable.contains) ?? ($0.recipient == caller.handle || runsPrograms)
                    }))
        }
        router.post("/api/v1/tasks/retry") { request, context in
            let caller = try context.requireCaller()
            let body = try await APIJSON.body(TaskFix.self, from: request, context: context)
            let tasks = try await services.tasks.retry(
                ids: try body.named(), actor: caller.handle, reason: body.reason, dryRun: body.dryRun ?? false)
            return try APIJSON.response(TaskFixResult(dryRun: body.dryRun ?? false, tasks: tasks))
        }
        router.post("/api/v1/tasks/cancel") { request, context in
            let caller = try context.requireCaller()
            let body = try await APIJSON.body(TaskFix.self, from: request, context: context)
            guard let ids = try body.named() else {
                throw Problem(
                    status: .badRequest, code: "input.missing_field", detail: "name the tasks to cancel in ids")
            }
            let tasks = try await services.tasks.cancel(
                ids: ids, actor: caller.handle, reason: body.reason, dryRun: body.dryRun ?? false)
            return try APIJSON.response(TaskFixResult(dryRun: body.dryRun ?? false, tasks: tasks))
        }
        router.post("/api/v1/items/{id}/move") { request, context in
            let caller = try context.requireCaller()
            let body = try await APIJSON.body(Move.self, from: request, context: context)
            let entry = try await services.engine.move(
                item: try context.itemID(), to: body.to, actor: caller.handle, reason: body.reason)
            return try APIJSON.response(entry)
        }
        router.post("/api/v1/items/{id}/cancel") { request, context in
            let caller = try context.requireCaller()
            let body = try await APIJSON.body(Reason.self, from: request, context: context)
            let entry = try await services.engine.cancel(
                item: try context.itemID(), actor: caller.handle, reason: body.reason)
            return try APIJSON.response(entry)
        }
        router.get("/api/v1/reports/flow") { request, context in
            _ = try context.requireCaller()
            let query = request.uri.queryParameters
            let since = try Self.date(query, "since")
            let rows = try await services.read {
                try await $0.reports.flow(workflow: query.get("workflow"), since: since)
            }
            return try APIJSON.response(Flow(stages: rows))
        }
        router.get("/api/v1/reports/impact") { request, context in
            _ = try context.requireCaller()
            let since = try Self.date(request.uri.queryParameters, "since")
            let rows = try await services.read { try await $0.reports.impact(since: since) }
            return try APIJSON.response(Impact(executives: rows))
        }
    }

    private static func date(_ query: Parameters, _ name: String) throws -> Date? {
        guard let text = query.get(name) else { return nil }
        guard let date = DataDate.parse(String(text)) else {
            throw Problem(status: .badRequest, code: "input.query", detail: "\(name) must be \(DataDate.acceptedForms)")
        }
        return date
    }

    struct TaskFix: APIRequestBody {
        static let fields: Set<String> = ["ids", "reason", "dry_run"]
        let ids: [WholeNumber]?
        let reason: String
        let dryRun: Bool?

        /// The tasks named, or nil for every one the action applies to.
        ///
        /// - Throws: ``Problem`` 400 for an empty list, which names no task.
        func named() throws -> [Int]? {
            guard let ids else { return nil }
            guard !ids.isEmpty else {
                throw Problem(status: .badRequest, code: "input.ids", detail: "ids names no task; leave it out for all")
            }
            return ids.map(\.value)
        }

        enum CodingKeys: String, CodingKey {
            case ids, reason
            case dryRun = "dry_run"
        }
    }

    struct Move: APIRequestBody {
        static let fields: Set<String> = ["to", "reason"]
        let to: String
        let reason: String
    }

    struct Reason: APIRequestBody {
        static let fields: Set<String> = ["reason"]
        let reason: String
    }

    struct Stuck: Encodable {
        let items: [StuckItem]
    }

    struct Tasks: Encodable {
        let tasks: [TaskRecord]
    }

    struct TaskFixResult: Encodable {
        let dryRun: Bool
        let tasks: [TaskRecord]

        enum CodingKeys: String, CodingKey {
            case tasks
            case dryRun = "dry_run"
        }
    }

    struct Flow: Encodable {
        let stages: [FlowRow]
    }

    struct Impact: Encodable {
        let executives: [ImpactRow]
    }
}
