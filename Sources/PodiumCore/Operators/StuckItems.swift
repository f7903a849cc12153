import Foundation
public import LibPQ
internal import WorkflowEngine
internal import WorkflowLanguage

/// Why an open item needs a person's attention.
public struct StuckReason: Sendable, Codable, Equatable {
    /// `overdue`, `idle`, `dead_task`, `no_actor`, `awaiting_approvals` or `orphaned_stage`.
    public let kind: String
    /// One line for people.
    public let message: String
    /// The details, for machines (seconds, task ids, errors, approvers).
    public let details: [String: String]

    /// Every ``kind``, in the order a listing gives them.
    public static let kinds = ["overdue", "idle", "dead_task", "no_actor", "awaiting_approvals", "orphaned_stage"]
}

/// An open item and its reasons, most urgent first in a listing.
public struct StuckItem: Sendable, Codable {
    public let itemID: Int
    public let workflow: String
    public let version: Int
    public let stage: String
    public let title: String
    public let reasons: [StuckReason]
    /// Seconds overdue (0 when not overdue); the first sort key.
    public let overdueSeconds: Int

    enum CodingKeys: String, CodingKey {
        case workflow, version, stage, title, reasons
        case itemID = "item_id"
        case overdueSeconds = "overdue_seconds"
    }
}

/// Finds items that need attention: overdue, idle, dead tasks, nobody able to act, waiting for
/// approvals, or on a stage the newest version of their workflow no longer has.
public struct StuckFinder: Sendable {
    let pool: PostgresPool
    let time: any TimeSource
    let definitions = DefinitionCache()

    public init(pool: PostgresPool, time: any TimeSource = SystemTime()) {
        self.pool = pool
        self.time = time
    }

    /// Open items with at least one reason, most urgent first, at most `limit` of them.
    ///
    /// Candidates are found through indexes only (due time, activity, dead tasks, approvals of
    /// the current visit, and the few stages that were dropped or that no global role covers);
    /// reasons are then worked out for those items alone.
    ///
    /// - Parameters:
    ///   - olderThan: only items that entered their stage longer ago than this.
    ///   - idleAfter: call an item idle after this long without activity; by default, twice its
    ///     stage's due time.
    public func find(
        workflow: String? = nil, stage: String? = nil, olderThan: Duration? = nil, idleAfter: Duration? = nil,
        limit: Int = 500
    )
        async throws -> [StuckItem]
    {
        let now = time.now()
        let enteredBefore = olderThan.map { now.addingTimeInterval(-Double($0.components.seconds)) }
        let idleCutoff = idleAfter.map { now.addingTimeInterval(-Double($0.components.seconds)) }
        return try await pool.withConnection { db in
            let globalRoles = Set(
                try await db.query("select distinct unnest(roles) as role from actors").map {
                    try $0.decode(String.self, "role")
                })
            let (orphaned, quiet) = try await suspectStages(globalRoles: globalRoles, on: db)
            // Candidates come from indexed lookups only; every idle item with a due time is also
            // overdue (idle means no activity for twice the due time), so overdue covers it. The
            // listing is ordered by (due_at nulls last, id), so the first `limit` of the union are
            // among the first `limit` of each branch: each branch stops there, and 80,000 overdue
            // items cost no more than a hundred.
            let filters: PostgresQuery = """
                x.closed_at is null
                   and (\(workflow)::text is null or x.workflow = \(workflow))
                   and (\(stage)::text is null or x.stage = \(stage))
                   and (\(enteredBefore)::timestamptz is null or x.stage_entered_at < \(enteredBefore))
                """
            let firstOnly: PostgresQuery = "order by x.due_at nulls last, x.id limit \(limit)"
            let rows = try await db.query(
                """
                with candidates as (
                    (select x.id from items x where \(filters) and x.due_at < \(now) \(firstOnly))
                    union
                    (select x.id from items x where \(filters) and x.last_activity_at < \(idleCutoff) \(firstOnly))
                    union
                    (select x.id from items x where \(filters)
                        and x.id in (select item_id from tasks where status = \(TaskStatus.dead.sql)) \(firstOnly))
                    union
                    (select x.id from items x where \(filters)
                        and exists (select 1 from approvals a where a.item_id = x.id and a.visit_id = x.visit_id)
                      \(firstOnly))
                    union
                    (select x.id from items x where \(filters)
                        and x.id in (select p.item_id from absences ab join participants p on p.actor = ab.actor
                                      where ab.delegate is null and ab.starts_at <= \(now)
                                        and least(ab.ended_at, ab.ends_at) > \(now))
                      \(firstOnly))
                    union
                    (select x.id from items x
                      join unnest(\(orphaned.map(\.0))::text[], \(orphaned.map(\.1))::text[]) as o(workflow, stage)
                        on x.workflow = o.workflow and x.stage = o.stage
                     where \(filters) \(firstOnly))
                    union
                    (select x.id from items x
                      join unnest(\(quiet.map(\.0))::text[], \(quiet.map(\.1))::int[],
                                  \(quiet.map(\.2))::text[], \(quiet.map(\.3))::text[]) as q(workflow, version, stage, roles)
                        on x.workflow = q.workflow and x.stage = q.stage and x.version = q.version
                     where \(filters)
                       and not exists (select 1 from participants p
                                        where p.item_id = x.id and p.role = any(string_to_array(q.roles, ',')))
                     \(firstOnly))
                )
                select i.id, i.workflow, i.version, i.stage, i.title, i.due_at, i.stage_entered_at, i.last_activity_at,
                       (select max(version) from workflow_versions v where v.workflow = i.workflow) as newest,
                       \(FireContext.People.columns),
                       coalesce(array(select t.id || '|' || t.kind || '|' || t.label || '|' || coalesce(t.last_error, '')
                                        from tasks t where t.item_id = i.id and t.status = \(TaskStatus.dead.sql)
                                        order by t.id), '{}') as dead,
                       exists (select 1 from tasks t where t.item_id = i.id and t.visit_id = i.visit_id
                                 and t.kind = \(PlannedTask.Kind.escalation.sql) and t.status = \(TaskStatus.done.sql)) as escalated,
                       coalesce(array(select p.role || '|' || p.actor || '|'
                                             || extract(epoch from least(ab.ended_at, ab.ends_at))::bigint
                                        from participants p join absences ab on ab.actor = p.actor
                                       where p.item_id = i.id and ab.delegate is null and ab.starts_at <= \(now)
                                         and least(ab.ended_at, ab.ends_at) > \(now)
                                       order by p.role, p.actor), '{}') as away
                  from items i join candidates c on c.id = i.id \(FireContext.workEntry)
                 order by i.due_at nulls last, i.id
                 limit \(limit)
                """)
            var found: [StuckItem] = []
            for row in rows {
                let workflowName = try row.decode(String.self, "workflow")
                let version = try row.decode(Int.self, "version")
                let stageName = try row.decode(String.self, "stage")
                let definition = try await definitions.definition(workflowName, version: version, on: db)
                let newestVersion = try row.decode(Int.self, "newest")
                let newest =
                    newestVersion == version
                    ? definition : try await definitions.definition(workflowName, version: newestVersion, on: db)
                let snapshot = Snapshot(
                    id: try row.decode(Int.self, "id"), stage: stageName, dueAt: try row.decode(Date?.self, "due_at"),
                    enteredAt: try row.decode(Date.self, "stage_entered_at"),
                    lastActivity: try row.decode(Date.self, "last_activity_at"),
                    people: try FireContext.People(row), dead: try row.decode([String].self, "dead"),
                    escalated: try row.decode(Bool.self, "escalated"),
                    away: try row.decode([String].self, "away").compactMap(Snapshot.Away.init))
                let reasons = Self.reasons(
                    snapshot, definition: definition, newest: newest, newestVersion: newestVersion,
                    globalRoles: globalRoles, now: now, idleAfter: idleAfter)
                guard !reasons.isEmpty else { continue }
                found.append(
                    StuckItem(
                        itemID: snapshot.id, workflow: workflowName, version: version, stage: stageName,
                        title: try row.decode(String.self, "title"), reasons: reasons,
                        overdueSeconds: snapshot.dueAt.map { max(0, Int(now.timeIntervalSince($0))) } ?? 0))
            }
            return found.sorted {
                ($0.overdueSeconds, $0.reasons.count, -$0.itemID) > ($1.overdueSeconds, $1.reasons.count, -$1.itemID)
            }
        }
    }

    /// Stages to look into by stage rather than by index on time: stages that the newest version
    /// of a workflow dropped (orphans), and stages where no global role may act (items there are
    /// stuck unless a participant holds a role).
    private func suspectStages(globalRoles: Set<String>, on db: PostgresConnection) async throws
        -> (orphaned: [(String, String)], quiet: [(String, Int, String, String)])
    {
        let versions = try await db.query("select workflow, version from workflow_versions order by workflow, version")
            .map { (try $0.decode(String.self, "workflow"), try $0.decode(Int.self, "version")) }
        var newest: [String: WorkflowDefinition] = [:]
        var all: [(String, Int, WorkflowDefinition)] = []
        for (workflow, version) in versions {
            let definition = try await definitions.definition(workflow, version: version, on: db)
            all.append((workflow, version, definition))
            newest[workflow] = definition
        }
        var orphaned: Set<[String]> = []
        var quiet: [(String, Int, String, String)] = []
        for (workflow, version, definition) in all {
            for stage in definition.stages {
                if newest[workflow]?.stage(stage.name) == nil { orphaned.insert([workflow, stage.name]) }
                if !stage.terminal, Self.nobodyCanAct(from: stage.name, in: definition, holders: globalRoles) {
                    let roles = Self.actingRoles(from: stage.name, in: definition).joined(separator: ",")
                    quiet.append((workflow, version, stage.name, roles))
                }
            }
        }
        return (orphaned.map { ($0[0], $0[1]) }, quiet)
    }

    struct Snapshot {
        let id: Int
        let stage: String
        let dueAt: Date?
        let enteredAt: Date
        let lastActivity: Date
        let people: FireContext.People
        let dead: [String]
        let escalated: Bool
        /// Participants away now with nobody standing in.
        var away: [Away] = []

        /// A participant away with nobody standing in, until `backAt`.
        struct Away {
            let role: String
            let actor: String
            let backAt: Date

            /// From `role|actor|epoch seconds`.
            init?(_ text: String) {
                let parts = text.split(separator: "|").map(String.init)
                guard parts.count == 3, let seconds = Double(parts[2]) else { return nil }
                self.init(role: parts[0], actor: parts[1], backAt: Date(timeIntervalSince1970: seconds))
            }

            init(role: String, actor: String, backAt: Date) {
                self.role = role
                self.actor = actor
                self.backAt = backAt
            }
        }

        var roles: Set<String> { Set(people.participants.map(\.role)) }

        /// The item as the decider reads it, for the counts it owns (approvals needed).
        var state: ItemState {
            people.state(id: id, stage: stage, data: [:], enteredAt: enteredAt, isClosed: false)
        }
    }

    /// The reasons for one item: pure, so each can be tested on its own.
    static func reasons(
        _ item: Snapshot, definition: WorkflowDefinition, newest: WorkflowDefinition, newestVersion: Int,
        globalRoles: Set<String>, now: Date, idleAfter: Duration?
    ) -> [StuckReason] {
        var reasons: [StuckReason] = []
        if let due = item.dueAt, due < now {
            let seconds = Int(now.timeIntervalSince(due))
            reasons.append(
                StuckReason(
                    kind: "overdue",
                    message:
                        "overdue by \(DurationText.approximate(seconds: seconds))\(item.escalated ? ", escalated" : ", not escalated yet")",
                    details: [
                        "overdue_seconds": String(seconds), "due_at": Self.iso(due),
                        "escalated": String(item.escalated),
                    ]))
        }
        let idleLimit: Double? =
            idleAfter.map { Double($0.components.seconds) }
            ?? item.dueAt.map { 2 * $0.timeIntervalSince(item.enteredAt) }
        if let idleLimit, idleLimit > 0, now.timeIntervalSince(item.lastActivity) > idleLimit {
            let seconds = Int(now.timeIntervalSince(item.lastActivity))
            reasons.append(
                StuckReason(
                    kind: "idle",
                    message: "no transition, comment or approval for \(DurationText.approximate(seconds: seconds))",
                    details: ["idle_seconds": String(seconds), "last_activity_at": Self.iso(item.lastActivity)]))
        }
        for task in item.dead {
            let parts = task.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 4 else { continue }
            reasons.append(
                StuckReason(
                    kind: "dead_task", message: "\(parts[1]) \"\(parts[2])\" is dead: \(parts[3])",
                    details: ["task_id": parts[0], "task_kind": parts[1], "label": parts[2], "last_error": parts[3]]))
        }
        if nobodyCanAct(from: item.stage, in: definition, holders: item.roles.union(globalRoles)) {
            let roles = Self.actingRoles(from: item.stage, in: definition)
            reasons.append(
                StuckReason(
                    kind: "no_actor",
                    message: "nobody holds a role that may act here (\(roles.joined(separator: ", ")))",
                    details: ["roles": roles.joined(separator: ",")]))
        } else if let role = definition.stage(item.stage)?.assignee {
            // Everyone holding the stage's role on the item is away, with nobody standing in:
            // their reminders wait, and so does the work.
            let holders = Set(item.people.participants.filter { $0.role == role }.map(\.actor))
            let away = item.away.filter { $0.role == role }
            if !holders.isEmpty, holders == Set(away.map(\.actor)), let back = away.map(\.backAt).min() {
                let who = away.map(\.actor).joined(separator: " and ")
                reasons.append(
                    StuckReason(
                        kind: "no_actor",
                        message: "\(who) (\(role)) \(away.count == 1 ? "is" : "are") away until \(Self.iso(back)) "
                            + "and nobody stands in",
                        details: [
                            "roles": role, "away": away.map(\.actor).joined(separator: ","), "back_at": Self.iso(back),
                        ]))
            }
        }
        let state = item.state
        let decider = TransitionDecider(definition: definition)
        for transition in definition.transitions(from: item.stage) where transition.approvals != nil {
            let approvers = state.approvals.filter { $0.transition == transition.name }.map(\.actor)
            guard !approvers.isEmpty else { continue }
            let needed = String(decider.approvalsNeeded(for: transition, on: state))
            reasons.append(
                StuckReason(
                    kind: "awaiting_approvals",
                    message:
                        "\(transition.name) has \(approvers.count) of \(needed) approvals (\(approvers.joined(separator: ", ")))",
                    details: [
                        "transition": transition.name, "approvers": approvers.joined(separator: ","), "needed": needed,
                    ]))
        }
        if newest.stage(item.stage) == nil {
            reasons.append(
                StuckReason(
                    kind: "orphaned_stage",
                    message: "stage \(item.stage) is gone from \(definition.name)@\(newestVersion); migrate the item",
                    details: ["newest_version": String(newestVersion)]))
        }
        return reasons
    }

    /// True when people must move the item on (no timer leaves the stage) and none of
    /// `holders` holds a role that may fire a transition out of it.
    static func nobodyCanAct(from stage: String, in definition: WorkflowDefinition, holders: Set<String>) -> Bool {
        let transitions = definition.transitions(from: stage)
        let roles = actingRoles(from: stage, in: definition)
        guard !roles.isEmpty, !transitions.contains(where: { $0.timer != nil }) else { return false }
        return !roles.contains(where: holders.contains)
    }

    /// The roles that may fire a transition out of `stage` by hand, sorted.
    static func actingRoles(from stage: String, in definition: WorkflowDefinition) -> [String] {
        Set(definition.transitions(from: stage).flatMap(\.roles)).sorted()
    }

    /// RFC 3339 in UTC, proleptic Gregorian (Foundation's formatter turns Julian before 1582).
    static func iso(_ date: Date) -> String {
        DataDate.format(date)
    }
}
