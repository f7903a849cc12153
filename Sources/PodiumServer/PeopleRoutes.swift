import Foundation
import Hummingbird
import PodiumCore

/// `/api/v1/me`: who the caller is, and what waits on them.
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
