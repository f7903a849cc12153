public import Foundation
internal import LibPQ
internal import WorkflowEngine

/// What a person's daily digest lists: their open items whose reminders waited for it, grouped
/// by program, each once, with what fell due.
public struct DigestContext: Sendable {
    /// One item in the digest.
    public struct Entry: Sendable {
        public let itemID: Int
        public let title: String
        public let workflow: String
        public let stageTitle: String
        public let dueAt: Date?
        /// The reminders it held, in time order (`1d before due`, `at due`).
        public let labels: [String]
    }

    /// One program and its items, most urgent first.
    public struct Program: Sendable {
        public let title: String
        public let entries: [Entry]
    }

    public let person: ActorRecord
    public let programs: [Program]
    /// Every digest entry read, listed or not (an item that moved on since is not listed): the
    /// digest marks them all sent.
    public let entryIDs: [Int]
}

extension ItemEngine {
    /// The digest of `handle` as it stands: the reminders held for them and not yet sent, for
    /// the items still in the stage visit each reminder was about.
    ///
    /// - Throws: `PodiumError` `.notFound` for an unknown person.
    public func digest(for handle: String) async throws -> DigestContext {
        let person = try await ActorStore(pool: pool, time: time).find(handle)
        return try await pool.withConnection { db in
            let rows = try await db.query(
                """
                select e.id as entry_id, t.label, i.id as item_id, i.title, i.workflow, i.version, i.stage, i.due_at,
                       (i.closed_at is null and i.stage = t.stage and i.visit_id = t.visit_id) as live
                  from digest_entries e
                  join tasks t on t.id = e.task_id
                  join items i on i.id = t.item_id
                 where e.recipient = \(handle) and e.sent_at is null
                 order by i.workflow, i.due_at nulls last, i.id, t.run_at, t.id
                """)
            var entryIDs: [Int] = []
            var order: [String] = []
            var titles: [String: String] = [:]
            var items: [String: [Int]] = [:]
            var entries: [Int: DigestContext.Entry] = [:]
            for row in rows {
                entryIDs.append(try row.decode(Int.self, "entry_id"))
                guard try row.decode(Bool.self, "live") else { continue }
                let workflow = try row.decode(String.self, "workflow")
                let itemID = try row.decode(Int.self, "item_id")
                let label = try row.decode(String.self, "label")
                if let known = entries[itemID] {
                    entries[itemID] = DigestContext.Entry(
                        itemID: itemID, title: known.title, workflow: workflow, stageTitle: known.stageTitle,
                        dueAt: known.dueAt, labels: known.labels + [label])
                    continue
                }
                let definition = try await definitions.definition(
                    workflow, version: try row.decode(Int.self, "version"), on: db)
                let stage = try row.decode(String.self, "stage")
                if titles[workflow] == nil {
                    order.append(workflow)
                    titles[workflow] = definition.title
                }
                items[workflow, default: []].append(itemID)
                entries[itemID] = DigestContext.Entry(
                    itemID: itemID, title: try row.decode(String.self, "title"), workflow: workflow,
                    stageTitle: definition.stage(stage)?.title ?? stage, dueAt: try row.decode(Date?.self, "due_at"),
                    labels: [label])
            }
            return DigestContext(
                person: person,
                programs: order.map { workflow in
                    DigestContext.Program(
                        title: titles[workflow] ?? workflow, entries: (items[workflow] ?? []).compactMap { entries[$0] }
                    )
                },
                entryIDs: entryIDs)
        }
    }
}
