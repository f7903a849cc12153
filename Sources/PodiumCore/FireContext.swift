internal import Foundation
internal import LibPQ
internal import WorkflowEngine

/// What deciding a fire needs beyond the locked item row, read in one query after the lock (so it
/// sees every transaction that committed before the lock was granted).
struct FireContext {
    let participants: [Participant]
    let approvals: [Approval]
    /// Who moved the item into its current stage.
    let stageAuthor: String
    /// The history entry an earlier fire with the same idempotency key wrote.
    let replayedEntry: Int?
    private let handle: String
    private let globalRoles: [String]?

    /// The actor firing: `system` for timers, otherwise a known actor with their global roles.
    func actor() throws -> ActorIdentity {
        if handle == ActorIdentity.system.handle { return .system }
        guard let globalRoles else {
            throw PodiumError(
                .notFound, "no actor named \(handle)", hint: "add one with podium actor add \(handle) --name NAME")
        }
        return ActorIdentity(handle: handle, globalRoles: Set(globalRoles))
    }

    static func read(
        for item: ItemEngine.LockedItem, actor handle: String, idempotencyKey: String?,
        on db: isolated PostgresConnection
    ) throws -> FireContext {
        let row = try db.query(
            """
            select (select coalesce(json_agg(json_build_array(role, actor) order by role, actor), '[]')
                      from participants where item_id = \(item.id))::text as participants,
                   (select coalesce(json_agg(json_build_array(transition, actor) order by at, actor), '[]')
                      from approvals where item_id = \(item.id) and visit_id = \(item.visit))::text as approvals,
                   (select actor from history where id = \(item.visit)) as stage_author,
                   (select id from history where item_id = \(item.id) and idempotency_key = \(idempotencyKey)) as replayed,
                   (select roles from actors where handle = \(handle)) as roles
            """
        ).single()
        let decoder = JSONDecoder()
        let participants = try decoder.decode(
            [[String]].self, from: Data(try row.decode(String.self, "participants").utf8))
        let approvals = try decoder.decode([[String]].self, from: Data(try row.decode(String.self, "approvals").utf8))
        return FireContext(
            participants: participants.map { Participant(role: $0[0], actor: $0[1]) },
            approvals: approvals.map { Approval(transition: $0[0], actor: $0[1]) },
            stageAuthor: try row.decode(String.self, "stage_author"),
            replayedEntry: try row.decode(Int?.self, "replayed"),
            handle: handle, globalRoles: try row.decode([String]?.self, "roles"))
    }
}
