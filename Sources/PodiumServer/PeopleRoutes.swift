import Foundation
import Hummingbird
import PodiumCore
import WorkflowEngine

/// `/api/v1/me`: who the caller is, and what waits on them; `/api/v1/people/{handle}/absences`:
/// when someone is away, and who stands in.
struct PeopleRoutes {
    let services: PodiumServices

    func add(to router: Router<APIRequestContext>) {
        router.get("/api/v1/me") { _, context in try APIJSON.response(try context.requireCaller()) }
        router.get("/api/v1/me/tasks") { _, context in
            let caller = try context.requireCaller()
            let now = services.clock.now()
            let waiting = try await services.engine.list(assignee: caller.handle, limit: 500)
            // Overdue first (the longest overdue at the top), then by due time, then the rest.
            let ordered = waiting.sorted { left, right in
                switch (left.dueAt, right.dueAt) {
                case (let l?, let r?): l < r
                case (.some, nil): true
                case (nil, .some): false
                case (nil, nil): left.id > right.id
                }
            }
            return try APIJSON.response(
                MyTasks(
                    tasks: ordered.map {
                        WaitingItem(item: $0, overdue: $0.dueAt.map { $0 < now } ?? false)
                    }))
        }
        router.get("/api/v1/people/{handle}/absences") { _, context in
            let caller = try context.requireCaller()
            let handle = try context.parameters.require("handle")
            // Absences (and their notes) are the person's, and their operators'.
            guard caller.handle == handle || !Set(caller.roles).isDisjoint(with: TaskAdmin.operatorRoles) else {
                throw PodiumError(
                    .refused,
                    "\(caller.handle) may not see \(handle)'s absences; they, a community manager or an admin may",
                    reason: "not_permitted", details: ["handle": handle])
            }
            _ = try await services.actors.find(handle)
            return try APIJSON.response(Absences(absences: try await services.absences.current(of: handle)))
        }
        router.post("/api/v1/people/{handle}/absences") { request, context in
            let caller = try context.requireCaller()
            let body = try await APIJSON.body(NewAbsence.self, from: request, context: context)
            func boundary(_ text: String, _ field: String) throws -> AbsenceBoundary {
                guard let boundary = AbsenceBoundary(text) else {
                    throw PodiumError(.usage, "\(field) is not a day or a time; write \(DataDate.acceptedForms)")
                }
                return boundary
            }
            let absence = try await services.absences.away(
                try context.parameters.require("handle"), from: try body.from.map { try boundary($0, "from") },
                until: try boundary(body.until, "until"), delegate: body.delegate, note: body.note, by: caller.handle)
            return try APIJSON.response(absence, status: .created)
        }
        router.delete("/api/v1/people/{handle}/absences/current") { _, context in
            let caller = try context.requireCaller()
            return try APIJSON.response(
                try await services.absences.back(try context.parameters.require("handle"), by: caller.handle))
        }
    }

    struct Absences: Encodable {
        let absences: [Absence]
    }

    struct NewAbsence: APIRequestBody {
        static let fields: Set<String> = ["from", "until", "delegate", "note"]
        let from: String?
        let until: String
        let delegate: String?
        let note: String?
    }

    struct MyTasks: Encodable {
        let tasks: [WaitingItem]
    }

    /// An item waiting on the caller, and whether it is past its due time.
    struct WaitingItem: Encodable {
        let item: ItemSummary
        let overdue: Bool
    }
}
