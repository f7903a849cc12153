public import Foundation
internal import LibPQ
public import WorkflowEngine
public import WorkflowLanguage

/// One item in a person's inbox, and what they may do with it now.
public struct InboxEntry: Sendable {
    public let item: ItemView
    /// The transitions the reader may fire now, the way forward first (timers excluded: the
    /// worker fires those).
    public let actions: [PossibleTransition]
    /// The person away whose work this is, when the reader has it only as their stand-in.
    public var onBehalfOf: String? = nil
}

/// What waits on a person across programs: items where they may act now, most urgent first, and
/// apart from them the open items they take part in but cannot move now.
public struct Inbox: Sendable {
    /// Items the reader may move now: overdue first, then by due time, then those without one.
    public let waiting: [InboxEntry]
    /// Open items the reader takes part in (or created) that wait on somebody else (the reader
    /// may still have a way out of them, such as withdrawing).
    public let following: [InboxEntry]
}

extension ItemView {
    /// The transitions `handle` may fire now, as the decider judged them when the view was read
    /// (timers excluded: the worker fires those), the way forward first.
    public func transitions(firedBy handle: String) -> [PossibleTransition] {
        possibleTransitions.filter { $0.timer == nil && $0.participants.contains(handle) }
    }
}

extension ItemEngine {
    /// Version `version` of `workflow`, from the engine's cache: what a page needs to ask for a
    /// transition's fields (titles, which fields are dates).
    ///
    /// - Throws: ``PodiumError`` `.notFound` for a version that was never loaded.
    public func definition(of workflow: String, version: Int) async throws -> WorkflowDefinition {
        // A definition this process has read needs no connection: versions never change.
        if let known = try? definitions.cached(workflow, version: version) { return known }
        return try await pool.withConnection { db in
            try await definitions.definition(workflow, version: version, on: db)
        }
    }

    /// The history entry that entered the item's current stage (its visit), or nil for no item.
    public func currentVisit(of item: Int) async throws -> Int? {
        try await pool.query("select visit_id from items where id = \(item)").first?.decode(Int.self, "visit_id")
    }

    /// When an act with `idempotencyKey` was recorded on `item`, or nil: a link's act, say.
    public func actedAt(item: Int, idempotencyKey: String) async throws -> Date? {
        try await pool.query(
            "select at from history where item_id = \(item) and idempotency_key = \(idempotencyKey)"
        ).first?.decode(Date.self, "at")
    }

    /// The decider's read rule (``TransitionDecider/mayRead(_:createdBy:actor:)``) as a SQL
    /// condition on `items i`, for lists that must hold only what `reader` may see (nil: everyone
    /// may). `ReadRuleTests` holds the two to the same answers.
    static func readable(by reader: ActorIdentity?) -> PostgresQuery {
        let everyone = reader == nil || reader?.globalRoles.contains(ActorIdentity.adminRole) == true
        let handle = reader?.handle ?? ""
        let roles = Array(reader?.globalRoles ?? [])
        // What the people the reader stands in for may see, they may see too.
        let standIns = (reader?.standsInFor ?? []).map { " or \(readable(by: $0))" as PostgresQuery }
        // Without global roles there is no program-wide way in, and the definitions need not be
        // read for every row.
        let byRole: PostgresQuery =
            roles.isEmpty
            ? ""
            : """

                 or exists (select 1 from workflow_versions rv, jsonb_array_elements(rv.definition -> 'roles') r
                             where rv.workflow = i.workflow and rv.version = i.version
                               and r ->> 'name' = any(\(roles)::text[]))
            """
        return """
            (\(everyone) or i.created_by = \(handle)
             or exists (select 1 from participants p where p.item_id = i.id and p.actor = \(handle))\(byRole)\(
                PostgresQuery.joined(standIns, separator: "")))
            """
    }

    /// Which of `ids` `reader` may see.
    public func readable(_ ids: [Int], by reader: ActorIdentity) async throws -> Set<Int> {
        guard !ids.isEmpty else { return [] }
        return Set(
            try await pool.query(
                "select i.id from items i where i.id = any(\(ids)::bigint[]) and \(Self.readable(by: reader))"
            ).map { try $0.decode(Int.self, "id") })
    }

    /// `reader`'s inbox: every open item they may see and may act on or take part in, from the
    /// `limit` most urgent open items they may see.
    ///
    /// Each item is read as ``show(_:reader:)`` reads it (``views(_:reader:)``, all at once), so the
    /// inbox lists exactly what the item page offers, as the decider judges it.
    public func inbox(for reader: ActorIdentity, limit: Int = 100) async throws -> Inbox {
        // The items the reader may see, the most urgent first (overdue, then by due time, then
        // the most recently active), so what a limit leaves out is never the stalest overdue work.
        // The candidates come from the reader's own ways in (items they take part in or created,
        // programs whose roles they hold, the same for whom they stand in for), each an index
        // lookup, rather than from testing every open item; the read rule then decides.
        func standingIn(_ person: ActorIdentity) -> [ActorIdentity] {
            [person] + person.standsInFor.flatMap(standingIn)
        }
        let people = standingIn(reader)
        let handles = people.map(\.handle)
        let roles = Array(Set(people.flatMap(\.globalRoles)))
        let rows = try await pool.query(
            """
            with candidates as (
                select p.item_id as id from participants p where p.actor = any(\(handles)::text[])
                union
                select id from items where closed_at is null and created_by = any(\(handles)::text[])
                union
                select id from items where closed_at is null and \(roles.contains(ActorIdentity.adminRole))
                union
                select id from items
                 where closed_at is null
                   and workflow = any(array(select rv.workflow from workflow_versions rv,
                                                   jsonb_array_elements(rv.definition -> 'roles') r
                                             where r ->> 'name' = any(\(roles)::text[])))
            )
            select i.id from items i join candidates c on c.id = i.id
             where i.closed_at is null and \(Self.readable(by: reader))
             order by i.due_at asc nulls last, i.last_activity_at desc, i.id desc
             limit \(min(max(limit, 1), 500))
            """)
        var waiting: [InboxEntry] = []
        var following: [InboxEntry] = []
        // Items gone since the list was read, or not the reader's to see, are left out.
        for view in try await views(try rows.map { try $0.decode(Int.self, "id") }, reader: reader) {
            let actions = view.transitions(firedBy: reader.handle)
            var entry = InboxEntry(item: view, actions: actions)
            // Waiting on the reader: the stage's work is theirs (they hold its assignee role, or
            // stand in for someone away who does), or the stage names no assignee and they may
            // move it. Being able to withdraw a post under review does not make the review
            // theirs to do.
            if !view.nextActors.contains(reader.handle) {
                entry.onBehalfOf = reader.standsInFor.first { view.nextActors.contains($0.handle) }?.handle
            }
            let theirs = view.assignee == nil || view.nextActors.contains(reader.handle) || entry.onBehalfOf != nil
            // A way out (leave, pause, withdraw: a transition many stages share) is no task.
            let definition = try await definition(of: view.workflow, version: view.version)
            let forward = actions.contains { action in
                definition.transitions.first { $0.name == action.name }?.isWayForward ?? false
            }
            if forward && theirs {
                waiting.append(entry)
            } else if view.createdBy == reader.handle
                || view.participants.contains(where: { $0.actor == reader.handle })
            {
                following.append(entry)
            }
        }
        let now = time.now()
        waiting.sort { left, right in
            let (l, r) = (left.item.dueAt, right.item.dueAt)
            let (lateL, lateR) = (l.map { $0 < now } ?? false, r.map { $0 < now } ?? false)
            if lateL != lateR { return lateL }
            switch (l, r) {
            case (let l?, let r?) where l != r: return l < r
            case (nil, _?): return false
            case (_?, nil): return true
            default: return left.item.id < right.item.id
            }
        }
        return Inbox(waiting: waiting, following: following)
    }
}
