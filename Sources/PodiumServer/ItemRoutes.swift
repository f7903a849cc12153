import Foundation
import Hummingbird
import PodiumCore
import WorkflowEngine

/// `/api/v1/items`: create, list, show, history, fire, comment, assign, engagement. Every action
/// acts as the caller, through the same ``ItemEngine`` (and so the same decider) as the CLI.
struct ItemRoutes {
    let services: PodiumServices
    /// Where clients reach the server (``ServerSettings/publicURL``), for `Location`.
    let publicURL: String?

    func add(to router: Router<APIRequestContext>) {
        let items = router.group("/api/v1/items")
        items.get { request, context in try await list(request, context) }
        items.post { request, context in try await create(request, context) }
        items.get("{id}") { _, context in try await show(context) }
        items.get("{id}/history") { _, context in
            let caller = try context.requireCaller()
            let id = try context.itemID()
            let entries = try await services.read { services in
                _ = try await services.engine.show(id, reader: caller.identity)
                return try await services.engine.history(id)
            }
            return try APIJSON.response(History(entries: entries))
        }
        items.post("{id}/transitions/{transition}") { request, context in try await fire(request, context) }
        items.post("{id}/comments") { request, context in
            let caller = try context.requireCaller()
            let body = try await APIJSON.body(NewComment.self, from: request, context: context)
            let id = try context.itemID()
            try await services.engine.comment(item: id, actor: caller.handle, text: body.text)
            return try APIJSON.response(try await services.engine.show(id), status: .created)
        }
        items.post("{id}/assignments") { request, context in
            let caller = try context.requireCaller()
            let body = try await APIJSON.body(Assignment.self, from: request, context: context)
            let entry = try await services.engine.assign(
                item: try context.itemID(), role: body.role, to: body.actor, actor: caller.handle)
            return try APIJSON.response(entry, status: .created)
        }
        items.delete("{id}/assignments/{role}/{actor}") { _, context in
            let caller = try context.requireCaller()
            let entry = try await services.engine.unassign(
                item: try context.itemID(), role: try context.parameters.require("role"),
                from: try context.parameters.require("actor"), actor: caller.handle)
            return try APIJSON.response(entry)
        }
        items.post("{id}/engagement") { request, context in
            let caller = try context.requireCaller()
            let body = try await APIJSON.body(Engagement.self, from: request, context: context)
            let id = try context.itemID()
            try await services.reports.recordMetrics(
                item: id, messages: body.messages.value, replies: body.replies.value, likes: body.likes.value, at: nil,
                by: caller.handle)
            return Response(status: .noContent)
        }
    }

    // MARK: Handlers

    private func list(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let query = request.uri.queryParameters
        let limit = try Query.integer(query, "limit", in: 1...500) ?? 100
        let before = try Query.integer(query, "cursor", in: 1...Int(Int64.max))
        let includeClosed = try Query.boolean(query, "include_closed") ?? false
        let overdueOnly = try Query.boolean(query, "overdue") ?? false
        let page = try await services.read {
            try await $0.engine.list(
                workflow: query.get("workflow"), stage: query.get("stage"),
                assignee: query.get("assignee"), includeClosed: includeClosed, overdueOnly: overdueOnly,
                before: before, limit: limit + 1, readableBy: caller.identity)
        }
        let next = page.count > limit ? page[limit - 1].id : nil
        return try APIJSON.response(ItemPage(items: Array(page.prefix(limit)), nextCursor: next.map(String.init)))
    }

    private func create(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let body = try await APIJSON.body(NewItem.self, from: request, context: context)
        let item = try await services.engine.create(
            workflow: body.workflow, title: body.title, author: caller.handle,
            participants: (body.participants ?? []).map { Participant(role: $0.role, actor: $0.actor) },
            data: body.data ?? [:])
        return try APIJSON.response(
            item, status: .created,
            headers: [.location: "\(publicURL ?? "")/api/v1/items/\(item.id)", .eTag: ETag.of(item.revision)])
    }

    private func show(_ context: APIRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try context.itemID()
        let item = try await services.read { try await $0.engine.show(id, reader: caller.identity) }
        return try APIJSON.response(item, headers: [.eTag: ETag.of(item.revision)])
    }

    private func fire(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let body = try await APIJSON.body(Firing.self, from: request, context: context)
        // An empty If-Match is no condition (as if it were absent).
        let expected = try request.headers[.ifMatch].flatMap {
            $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0
        }
        .map(ETag.revision)
        let key = request.headers[.init("Idempotency-Key")!]
        // Visible ASCII only: other bytes would be read through replacement characters, and two
        // different keys would become one.
        if let key, !(1...255).contains(key.utf8.count) || !key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
            throw Problem(
                status: .badRequest, code: "input.idempotency_key",
                detail: "an Idempotency-Key is 1 to 255 visible ASCII characters (a UUID, say)")
        }
        let result = try await services.engine.fire(
            item: try context.itemID(), transition: try context.parameters.require("transition"), actor: caller.handle,
            comment: body.comment, data: body.data ?? [:], expectRevision: expected, idempotencyKey: key)
        var headers: HTTPFields = [.eTag: ETag.of(result.revision)]
        if result.replayed { headers[.init("Idempotent-Replayed")!] = "true" }
        return try APIJSON.response(result, headers: headers)
    }

    // MARK: Bodies

    struct NewItem: APIRequestBody {
        static let fields: Set<String> = ["workflow", "title", "participants", "data"]
        let workflow: String
        let title: String
        let participants: [NewParticipant]?
        let data: [String: String]?
    }

    struct NewParticipant: Decodable {
        let role: String
        let actor: String
    }

    struct Firing: APIRequestBody {
        static let fields: Set<String> = ["comment", "data"]
        static let mayBeEmpty = true
        let comment: String?
        let data: [String: String]?
    }

    struct NewComment: APIRequestBody {
        static let fields: Set<String> = ["text"]
        let text: String
    }

    struct Assignment: APIRequestBody {
        static let fields: Set<String> = ["role", "actor"]
        let role: String
        let actor: String
    }

    struct Engagement: APIRequestBody {
        static let fields: Set<String> = ["messages", "replies", "likes"]
        let messages: WholeNumber
        let replies: WholeNumber
        let likes: WholeNumber
    }

    // MARK: Responses

    struct History: Encodable {
        let entries: [HistoryEntry]
    }

    struct ItemPage: Encodable {
        let items: [ItemSummary]
        let nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case items
            case nextCursor = "next_cursor"
        }
    }
}

/// An item's revision as an entity tag: `"7"`. `If-Match` takes it back (strong comparison).
enum ETag {
    static func of(_ revision: Int) -> String { "\"\(revision)\"" }

    /// The revision an `If-Match` value names.
    ///
    /// - Throws: ``Problem`` 400 for anything but one quoted revision (`*` and lists included:
    ///   a transition is decided on one revision).
    static func revision(_ header: String) throws -> Int {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.count >= 3, text.first == "\"", text.last == "\"",
            let revision = Int(text.dropFirst().dropLast()), revision >= 0
        else {
            throw Problem(
                status: .badRequest, code: "input.if_match",
                detail: "If-Match takes one item revision as an entity tag, e.g. \"7\", as the ETag header gives it")
        }
        return revision
    }
}

/// Reading query parameters strictly: a malformed number is refused, not ignored.
enum Query {
    static func integer(_ query: Parameters, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = query.get(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw Problem(
                status: .badRequest, code: "input.query",
                detail: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    static func boolean(_ query: Parameters, _ name: String) throws -> Bool? {
        guard let text = query.get(name) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw Problem(status: .badRequest, code: "input.query", detail: "\(name) must be true or false")
        }
    }
}
