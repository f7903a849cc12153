import Foundation
internal import LibPQ
public import WorkflowEngine
internal import WorkflowLanguage

extension ItemEngine {
    /// Everything about an item: stage, assignee, due time, open tasks, participants, data,
    /// approvals so far, the transitions possible now and who may fire them.
    ///
    /// - Parameter reader: the person asking, when the door has one (the inbox, the API): the
    ///   decider's ``TransitionDecider/mayRead(_:createdBy:actor:)`` must let them see it.
    /// - Throws: ``PodiumError`` `.notFound` for an item that does not exist or that `reader` may
    ///   not see: the same answer, so nobody learns which items exist.
    public func show(_ id: Int, reader: ActorIdentity? = nil) async throws -> ItemView {
        guard let view = try await views([id], reader: reader).first else { throw Self.noSuchItem(id) }
        return view
    }

    /// ``show(_:reader:)`` for many items at once, in four queries whatever their number: the
    /// views of those of `ids` that exist and `reader` may see, in the order of `ids`.
    public func views(_ ids: [Int], reader: ActorIdentity? = nil) async throws -> [ItemView] {
        guard !ids.isEmpty else { return [] }
        return try await pool.withConnection { db in
            let rows = try await db.query(
                """
                select i.id, i.workflow, i.version, i.title, i.stage, i.revision, i.data::text as data, i.due_at,
                       i.stage_entered_at, i.created_at, i.created_by, i.closed_at, \(FireContext.People.columns),
                       visit.kind as visit_kind, visit.actor as visit_actor, visit.comment as visit_comment,
                       visit.at as visit_at
                  from items i join history visit on visit.id = i.visit_id \(FireContext.workEntry)
                 where i.id = any(\(ids)::bigint[])
                """)
            var tasks: [Int: [TaskView]] = [:]
            for task in try await db.query(
                """
                select item_id, id, kind, label, run_at, status, recipient_role, transition from tasks
                 where item_id = any(\(ids)::bigint[]) and status in \(TaskStatus.stillToRunSQL)
                 order by item_id, run_at, id
                """)
            {
                tasks[try task.decode(Int.self, "item_id"), default: []].append(
                    TaskView(
                        id: try task.decode(Int.self, "id"), kind: try task.decode(String.self, "kind"),
                        label: try task.decode(String.self, "label"), runAt: try task.decode(Date.self, "run_at"),
                        status: try task.decode(String.self, "status"),
                        recipientRole: try task.decode(String?.self, "recipient_role"),
                        transition: try task.decode(String?.self, "transition")))
            }
            var comments: [Int: [CommentView]] = [:]
            for comment in try await db.query(
                """
                select item_id, actor, body, at from (
                    select item_id, actor, body, at, row_number() over (partition by item_id order by id desc) as n
                      from comments where item_id = any(\(ids)::bigint[])) newest
                 where n <= 20 order by item_id, n
                """)
            {
                comments[try comment.decode(Int.self, "item_id"), default: []].append(
                    CommentView(
                        actor: try comment.decode(String.self, "actor"), body: try comment.decode(String.self, "body"),
                        at: try comment.decode(Date.self, "at")))
            }
            // People holding one of the workflow's roles globally: they may act on every item.
            var definitionOf: [Int: WorkflowDefinition] = [:]
            for row in rows {
                definitionOf[try row.decode(Int.self, "id")] = try await definitions.definition(
                    try row.decode(String.self, "workflow"), version: try row.decode(Int.self, "version"), on: db)
            }
            let everyRole = Set(definitionOf.values.flatMap { $0.roles.map(\.name) })
            let globalHolders = try await db.query(
                "select handle, roles from actors where roles && \(everyRole.sorted()) order by handle"
            ).map {
                ActorIdentity(
                    handle: try $0.decode(String.self, "handle"),
                    globalRoles: Set(try $0.decode([String].self, "roles")))
            }
            var views: [Int: ItemView] = [:]
            for row in rows {
                let id = try row.decode(Int.self, "id")
                guard let definition = definitionOf[id] else { continue }
                let roles = Set(definition.roles.map(\.name))
                views[id] = try Self.view(
                    of: row, definition: definition,
                    globalHolders: globalHolders.filter { !$0.globalRoles.isDisjoint(with: roles) },
                    tasks: tasks[id] ?? [], comments: comments[id] ?? [], reader: reader)
            }
            return ids.compactMap { views[$0] }
        }
    }

    /// One item's view from its row of ``views(_:reader:)``, or nil when `reader` may not see it.
    private static func view(
        of row: PostgresRow, definition: WorkflowDefinition, globalHolders: [ActorIdentity], tasks: [TaskView],
        comments: [CommentView], reader: ActorIdentity?
    ) throws -> ItemView? {
        let id = try row.decode(Int.self, "id")
        let stageName = try row.decode(String.self, "stage")
        let stage = definition.stage(stageName)
        let people = try FireContext.People(row)
        let participants = people.participants
        let approvals = people.approvals
        let state = people.state(
            id: id, stage: stageName, data: try decodeData(try row.decode(String.self, "data")),
            enteredAt: try row.decode(Date.self, "stage_entered_at"),
            isClosed: try row.decode(Date?.self, "closed_at") != nil)
        let decider = TransitionDecider(definition: definition)
        if let reader, !decider.mayRead(state, createdBy: try row.decode(String.self, "created_by"), actor: reader) {
            return nil
        }
        // Everyone who could act: the item's people and the global holders of its roles.
        // The reader as they act now, standing in for whoever is away and named them.
        let reading = reader.map { [$0] } ?? []
        let actors =
            Set(participants.map(\.actor)).subtracting(globalHolders.map(\.handle) + reading.map(\.handle)).sorted()
            .map { ActorIdentity(handle: $0) } + globalHolders.filter { $0.handle != reader?.handle } + reading
        let possible = nextSteps(from: stageName, in: definition).compactMap { transition -> PossibleTransition? in
            guard !state.isClosed else { return nil }
            return PossibleTransition(
                name: transition.name, to: transition.to, roles: transition.roles,
                participants: actors.filter { decider.mayFire(transition, actor: $0, on: state) }.map(\.handle)
                    .sorted(),
                requires: transition.requiredFields + (transition.requiresComment ? ["comment"] : []),
                timer: transition.timer?.description)
        }
        let approvalViews = definition.transitions(from: stageName).compactMap { transition -> ApprovalView? in
            guard transition.approvals != nil else { return nil }
            return ApprovalView(
                transition: transition.name,
                approvers: approvals.filter { $0.transition == transition.name }.map(\.actor),
                needed: decider.approvalsNeeded(for: transition, on: state))
        }
        var next: [String] = []
        if let role = stage?.assignee {
            next = state.holders(of: role).sorted()
            if next.isEmpty { next = globalHolders.filter { $0.globalRoles.contains(role) }.map(\.handle) }
        }
        return ItemView(
            id: id, workflow: try row.decode(String.self, "workflow"), version: try row.decode(Int.self, "version"),
            title: try row.decode(String.self, "title"),
            stage: stageName, stageTitle: stage?.title ?? stageName, revision: try row.decode(Int.self, "revision"),
            data: state.data, participants: participants, assignee: stage?.assignee, nextActors: next,
            dueAt: try row.decode(Date?.self, "due_at"), stageEnteredAt: state.stageEnteredAt,
            createdAt: try row.decode(Date.self, "created_at"),
            createdBy: try row.decode(String.self, "created_by"),
            closedAt: try row.decode(Date?.self, "closed_at"),
            cancellation: try row.decode(String.self, "visit_kind") == HistoryKind.cancel.rawValue
                ? Cancellation(
                    actor: try row.decode(String.self, "visit_actor"),
                    reason: try row.decode(String?.self, "visit_comment") ?? "",
                    at: try row.decode(Date.self, "visit_at")) : nil,
            guidance: stage?.description ?? "",
            approvals: approvalViews, openTasks: tasks, possibleTransitions: possible, comments: comments)
    }

    static func noSuchItem(_ id: Int) -> PodiumError {
        PodiumError(
            .notFound, "no item \(id)", hint: "list the items to find it", reason: "item", details: ["item": "\(id)"])
    }

    /// The transitions out of `stage`, the way forward first: transitions that leave only this
    /// stage come before generic exits such as withdraw or pause that leave many.
    static func nextSteps(from stage: String, in definition: WorkflowDefinition) -> [TransitionDefinition] {
        definition.transitions(from: stage).sorted { ($0.from.count, $0.name) < ($1.from.count, $1.name) }
    }

    /// The item's timeline, oldest first, with the time spent in each stage.
    public func history(_ id: Int) async throws -> [HistoryEntry] {
        let rows = try await pool.query(
            """
            select h.id, h.kind, h.transition, h.from_stage, h.to_stage, h.actor, h.on_behalf_of, h.role, h.comment,
                   h.data_change::text as data_change, h.at, h.via, i.closed_at
              from items i join history h on h.item_id = i.id
             where i.id = \(id) order by h.id
            """)
        guard !rows.rows.isEmpty else {
            throw PodiumError(
                .notFound, "no item \(id)", hint: "list the items to find it", reason: "item",
                details: ["item": "\(id)"])
        }
        let now = time.now()
        let closedAt = try rows.rows[0].decode(Date?.self, "closed_at")
        let entries = try rows.map { row in
            (
                id: try row.decode(Int.self, "id"), kind: try row.decode(String.self, "kind"),
                transition: try row.decode(String?.self, "transition"),
                from: try row.decode(String?.self, "from_stage"),
                to: try row.decode(String.self, "to_stage"), actor: try row.decode(String.self, "actor"),
                onBehalfOf: try row.decode(String?.self, "on_behalf_of"), role: try row.decode(String.self, "role"),
                comment: try row.decode(String?.self, "comment"),
                change: try row.decode(String?.self, "data_change").map(Self.decodeData),
                at: try row.decode(Date.self, "at"), via: try row.decode(String?.self, "via")
            )
        }
        return entries.enumerated().map { index, entry in
            // Time in stage: until the next entry that changed the stage, or until now/closing.
            let next =
                entries[(index + 1)...].first { HistoryKind(rawValue: $0.kind)?.startsVisit ?? true }?.at ?? closedAt
                ?? now
            return HistoryEntry(
                id: entry.id, kind: entry.kind, transition: entry.transition, fromStage: entry.from, toStage: entry.to,
                actor: entry.actor, onBehalfOf: entry.onBehalfOf, role: entry.role, comment: entry.comment,
                dataChange: entry.change, at: entry.at,
                via: entry.via, secondsInStage: max(0, Int(next.timeIntervalSince(entry.at))))
        }
    }

    /// Items, newest first, optionally filtered by workflow, stage, or the handle that must act next;
    /// with `readableBy`, only those the decider lets that person see.
    ///
    /// - Parameters:
    ///   - overdueOnly: only items past their stage's due time.
    ///   - before: only items with a smaller id (the cursor of the previous page's last item).
    ///   - limit: at most this many items (1 to 1000).
    public func list(
        workflow: String? = nil, stage: String? = nil, assignee: String? = nil, includeClosed: Bool = false,
        overdueOnly: Bool = false, before: Int? = nil, limit: Int = 1000, readableBy reader: ActorIdentity? = nil
    )
        async throws -> [ItemSummary]
    {
        // An assignee holds the stage's assignee role on the item, so takes part in it: their
        // items are found through participants_by_actor, not by working out every item's assignees.
        let takingPart: PostgresQuery =
            assignee.map { "and i.id in (select p.item_id from participants p where p.actor = \($0))" } ?? ""
        let rows = try await pool.query(
            """
            with assignee_roles as (  -- each stage's assignee role, read from the definitions once
                select v.workflow, v.version, s ->> 'name' as stage, s ->> 'assignee' as role
                  from workflow_versions v, jsonb_array_elements(v.definition -> 'stages') s
            )
            select * from (
                select i.id, i.workflow, i.version, i.title, i.stage, i.revision, i.due_at, i.closed_at,
                       (select kind = \(HistoryKind.cancel.rawValue) from history where id = i.visit_id) as cancelled,
                       coalesce(array(select p.actor from participants p
                                       where p.item_id = i.id and p.role = a.role
                                       order by p.actor), '{}') as assignees
                  from items i
                  left join assignee_roles a on a.workflow = i.workflow and a.version = i.version and a.stage = i.stage
                 where (\(workflow)::text is null or i.workflow = \(workflow))
                   and (\(stage)::text is null or i.stage = \(stage))
                   and (\(includeClosed) or i.closed_at is null)
                   and (not \(overdueOnly) or (i.closed_at is null and i.due_at < \(time.now())))
                   and (\(before)::bigint is null or i.id < \(before))
                   \(takingPart)
                   and \(Self.readable(by: reader))
            ) listed
             where \(assignee)::text is null or \(assignee) = any(assignees)
             order by id desc
             limit \(min(max(limit, 1), 1000))
            """)
        return try rows.map { row in
            ItemSummary(
                id: try row.decode(Int.self, "id"), workflow: try row.decode(String.self, "workflow"),
                version: try row.decode(Int.self, "version"), title: try row.decode(String.self, "title"),
                stage: try row.decode(String.self, "stage"), revision: try row.decode(Int.self, "revision"),
                dueAt: try row.decode(Date?.self, "due_at"), closedAt: try row.decode(Date?.self, "closed_at"),
                cancelled: try row.decode(Bool.self, "cancelled"), assignees: try row.decode([String].self, "assignees")
            )
        }
    }
}
