internal import Foundation
internal import LibPQ
internal import WorkflowEngine

/// Everything deciding a fire needs, read in one statement (one snapshot) without a lock: the
/// item row, its participants, the approvals of the current visit, who entered the stage, the
/// actor's global roles and an earlier use of the idempotency key. The write that follows checks
/// that the item's revision is still `item.revision` (see ``ItemEngine/moveStatement``).
struct FireContext {
    let item: ItemEngine.ItemRow
    let people: People
    /// The history entry an earlier fire with the same idempotency key wrote, and the
    /// fingerprint of that request (nil for entries written before fingerprints were kept).
    let replayed: (entry: Int, fingerprint: String?)?
    private let handle: String
    private let globalRoles: [String]?
    /// Whom the actor stands in for at the time of the fire.
    private let standsInFor: [ActorIdentity]

    /// The actor firing: `system` for timers, otherwise a known actor with their global roles.
    func actor() throws -> ActorIdentity {
        if handle == ActorIdentity.system.handle { return .system }
        guard let globalRoles else {
            throw PodiumError(
                .notFound, "no actor named \(handle)", hint: "add the person first",
                reason: "actor", details: ["handle": handle])
        }
        return ActorIdentity(handle: handle, globalRoles: Set(globalRoles), standsInFor: standsInFor)
    }

    /// The decision's inputs as ``TransitionDecider`` takes them.
    var state: ItemState {
        people.state(
            id: item.id, stage: item.stage, data: item.data, enteredAt: item.stageEnteredAt, isClosed: item.isClosed)
    }

    /// An item's people as the decider reads them: its participants, the approvals of its current
    /// visit, and who did the work under review (see ``workEntry``). Every reader of an
    /// ``ItemState`` (a fire, `item show`, `stuck`) selects ``columns`` and decodes them here.
    struct People {
        let participants: [Participant]
        let approvals: [Approval]
        /// Who moved the item into its current stage, in which role, from which stage.
        let stageAuthor: String
        let stageAuthorRole: String
        let enteredFrom: String?
        let stageAuthorFor: String?

        /// The select list, for a query on `items i` joined with ``FireContext/workEntry``.
        static let columns: PostgresQuery = """
            (select coalesce(json_agg(json_build_array(role, actor) order by role, actor), '[]')
               from participants where item_id = i.id)::text as participants,
            (select coalesce(json_agg(json_build_array(transition, actor, coalesce(delegate, '')) order by at, actor), '[]')
               from approvals where item_id = i.id and visit_id = i.visit_id)::text as approvals,
            work.actor as stage_author, work.role as stage_author_role, work.from_stage as entered_from,
            work.on_behalf_of as stage_author_for
            """

        init(_ row: PostgresRow) throws {
            participants = try Self.pairs(try row.decode(String.self, "participants")).map {
                Participant(role: $0[0], actor: $0[1])
            }
            approvals = try Self.pairs(try row.decode(String.self, "approvals")).map {
                Approval(transition: $0[0], actor: $0[1], delegate: $0.count > 2 && !$0[2].isEmpty ? $0[2] : nil)
            }
            stageAuthor = try row.decode(String.self, "stage_author")
            stageAuthorRole = try row.decode(String.self, "stage_author_role")
            enteredFrom = try row.decode(String?.self, "entered_from")
            stageAuthorFor = try row.decode(String?.self, "stage_author_for")
        }

        /// The item's state with these people.
        func state(id: Int, stage: String, data: [String: String], enteredAt: Date, isClosed: Bool) -> ItemState {
            var state = ItemState(
                id: id, stage: stage, data: data, participants: participants, stageAuthor: stageAuthor,
                stageAuthorRole: stageAuthorRole, enteredFrom: enteredFrom, stageEnteredAt: enteredAt,
                approvals: approvals, isClosed: isClosed)
            state.stageAuthorFor = stageAuthorFor
            return state
        }

        /// A `json_agg` of two-element arrays of text, read directly; Foundation reports what is
        /// wrong with anything else.
        private static func pairs(_ text: String) throws -> [[String]] {
            try JSONStringsReader.arrays(text) ?? JSONDecoder().decode([[String]].self, from: Data(text.utf8))
        }
    }

    /// The history entry that says who did the work under review, for a query on `items i`, as
    /// `work`: the latest workflow move (create or transition) up to the item's visit. An
    /// operator's move, a version migration or a cancellation changes where the item stands, not
    /// whose work it is, so separation of duties reads past them.
    static let workEntry: PostgresQuery = """
        cross join lateral (
            select h.actor, h.role, h.from_stage, h.on_behalf_of from history h
             where h.item_id = i.id and h.id <= i.visit_id
               and h.kind in (\(HistoryKind.create.rawValue), \(HistoryKind.transition.rawValue))
             order by h.id desc limit 1
        ) work
        """

    static func read(
        item id: Int, actor handle: String, idempotencyKey: String?, at now: Date, on db: isolated PostgresConnection
    ) throws -> FireContext {
        let rows = try db.query(
            """
            select \(ItemEngine.ItemRow.columns), \(People.columns),
                   replayed.id as replayed, replayed.request_fingerprint as replayed_fingerprint,
                   (select roles from actors where handle = \(handle)) as roles,
                   \(AbsenceStore.standingIn(for: "\(handle)", at: now))
              from items i
              \(workEntry)
              left join history replayed on replayed.item_id = i.id and replayed.idempotency_key = \(idempotencyKey)
             where i.id = \(id)
            """)
        guard let row = rows.first else {
            throw PodiumError(
                .notFound, "no item \(id)", hint: "list the items to find it", reason: "item",
                details: ["item": "\(id)"])
        }
        return FireContext(
            item: try ItemEngine.ItemRow(row), people: try People(row),
            replayed: try row.decode(Int?.self, "replayed").map {
                (entry: $0, fingerprint: try row.decode(String?.self, "replayed_fingerprint"))
            },
            handle: handle, globalRoles: try row.decode([String]?.self, "roles"),
            standsInFor: try AbsenceStore.standsInFor(row))
    }
}
