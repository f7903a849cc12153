import Foundation
import LibPQ
import WorkflowEngine
import WorkflowLanguage

/// One item's move to a new workflow version.
public struct VersionMigrationStep: Sendable, Codable {
    public let itemID: Int
    public let fromVersion: Int
    public let toVersion: Int
    public let fromStage: String
    public let toStage: String

    enum CodingKeys: String, CodingKey {
        case itemID = "item_id"
        case fromVersion = "from_version"
        case toVersion = "to_version"
        case fromStage = "from_stage"
        case toStage = "to_stage"
    }
}

extension ItemEngine {
    /// Moves every open item of `workflow` to `version` (admins only), each stage kept by name or
    /// mapped with `mappings` (old stage -> new stage). Refuses, changing nothing, when a stage
    /// would be lost without a mapping. Each moved item gets a `migrate` history row and enters
    /// its stage afresh: the stage's deadlines and reminders restart from now.
    public func migrate(
        workflow: String, to version: Int, mappings: [String: String], actor: String, reason: String, dryRun: Bool
    ) async throws -> [VersionMigrationStep] {
        let reason = try InputLimits.text(reason, what: "reason", limit: InputLimits.commentLength)
        let now = time.now()
        return try await pool.transaction { db in
            try await requireAdmin(actor, on: db)
            let target = try await definitions.definition(workflow, version: version, on: db)
            for (old, new) in mappings where target.stage(new) == nil {
                throw PodiumError(.usage, "--map \(old)=\(new): \(workflow)@\(version) has no stage \(new)")
            }
            let rows = try await db.query(
                """
                select id, version, stage from items
                 where workflow = \(workflow) and version <> \(version) and closed_at is null
                 order by id for update
                """)
            let steps = try rows.map { row in
                let stage = try row.decode(String.self, "stage")
                return VersionMigrationStep(
                    itemID: try row.decode(Int.self, "id"), fromVersion: try row.decode(Int.self, "version"),
                    toVersion: version, fromStage: stage, toStage: mappings[stage] ?? stage)
            }
            let lost = Dictionary(grouping: steps.filter { target.stage($0.toStage) == nil }, by: \.toStage)
            if !lost.isEmpty {
                let list = lost.keys.sorted().map {
                    "\($0) (\(lost[$0]!.count) item\(lost[$0]!.count == 1 ? "" : "s"))"
                }
                throw PodiumError(
                    .refused,
                    "\(workflow)@\(version) has no stage \(list.joined(separator: ", ")); nothing was migrated",
                    hint: "map each with --map OLD=NEW, e.g. --map \(lost.keys.sorted()[0])=\(target.initial)")
            }
            guard !dryRun else { return steps }
            for step in steps {
                let locked = try await lockItem(step.itemID, on: db)
                guard let stage = target.stage(step.toStage) else { continue }
                let move = Move(
                    transition: "", from: step.fromStage, to: step.toStage, role: Self.adminRole, actor: actor,
                    comment: "\(reason) (version \(step.fromVersion) -> \(version))", dataChanges: [:],
                    data: locked.data, closesItem: stage.terminal)
                let statement = try moveStatement(
                    move, kind: .migrate, of: locked, definition: target,
                    calendar: try await definitions.calendar(for: target, entering: step.toStage, on: db), key: nil,
                    at: now)
                _ = try Self.applied(try await db.query(statement))
                try await db.execute("update items set version = \(version) where id = \(step.itemID)")
            }
            return steps
        }
    }
}
