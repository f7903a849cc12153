import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowEngine
import WorkflowLanguage

/// One step of the contract: who fires what, with which comment and data.
struct ContractStep: Sendable {
    let transition: String
    let actor: String
    var comment: String?
    var data: [String: String] = [:]

    var yaml: String {
        var lines = ["  - fire: \(transition)", "    as: \(actor)"]
        if let comment { lines.append("    comment: \"\(comment)\"") }
        if !data.isEmpty {
            lines.append(
                "    set: {"
                    + data.sorted { $0.key < $1.key }.map { "\($0.key): \"\($0.value)\"" }.joined(separator: ", ") + "}"
            )
        }
        return lines.joined(separator: "\n")
    }
}

/// What both sides must agree on after each step.
struct Observed: Equatable, CustomStringConvertible {
    let stage: String
    let closed: Bool
    let approvals: Set<String>
    /// Transition name to the people who may fire it now.
    let mayFire: [String: [String]]
    /// `kind label at` of every task still to run.
    let tasks: Set<String>

    var description: String {
        "stage \(stage)\(closed ? " (closed)" : ""), approvals \(approvals.sorted()), may fire \(mayFire), tasks \(tasks.sorted())"
    }
}

/// The scenario runner (the pure core on a virtual clock) and the PostgreSQL store are driven
/// with the same commands and must agree, step by step, on the stage, the approvals, who may act
/// and the tasks. A rule decided outside the core would show here as a disagreement.
@Suite("The scenario runner and the database store agree")
struct ContractTests {
    static let start = Date(timeIntervalSince1970: 1_772_442_000)  // 2026-03-02T09:00:00Z, the fixture's clock
    static let participants = [
        Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob"),
        Participant(role: "coach", actor: "dana"),
    ]
    static let steps = [
        ContractStep(transition: "ready_for_public", actor: "alice", data: ["practice_posts": "3"]),
        ContractStep(transition: "step_up_to_short_updates", actor: "bob", comment: "ready"),
        ContractStep(transition: "updates_done", actor: "alice"),
        ContractStep(transition: "graduate", actor: "bob", comment: "yes"),
        ContractStep(transition: "graduate", actor: "dana", comment: "yes"),
    ]

    /// What the runner holds after the first `count` steps.
    static func runner(after count: Int, definition: WorkflowDefinition) throws -> Observed {
        let text = """
            scenario: contract
            workflow: start-small.yaml
            start: 2026-03-02T09:00:00Z
            created_by: carol
            actors: {carol: [community_manager]}
            participants: {executive: alice, coach: [bob, dana]}
            steps:\(count == 0 ? " []" : "\n" + steps.prefix(count).map(\.yaml).joined(separator: "\n"))

            """
        let scenario = try Scenario.parse(text)
        let result = scenario.run(against: definition)
        let item = result.item
        let decider = TransitionDecider(definition: definition)
        let people =
            Set(item.participants.map(\.actor)).union(["carol"]).sorted().map { handle in
                ActorIdentity(handle: handle, globalRoles: scenario.globalRoles[handle] ?? [])
            }
        var mayFire: [String: [String]] = [:]
        if !item.isClosed {
            for transition in definition.transitions(from: item.stage) {
                mayFire[transition.name] = people.filter { decider.mayFire(transition, actor: $0, on: item) }.map(
                    \.handle)
            }
        }
        return Observed(
            stage: item.stage, closed: item.isClosed,
            approvals: Set(item.approvals.map { "\($0.transition)=\($0.actor)" }), mayFire: mayFire,
            tasks: Set(result.pending.map { "\($0.kind.rawValue) \($0.label) \(DataDate.format($0.runAt))" }))
    }

    /// What PostgreSQL holds, as `item show` reads it.
    static func store(_ engine: ItemEngine, item: Int) async throws -> Observed {
        let shown = try await engine.show(item)
        return Observed(
            stage: shown.stage, closed: shown.closedAt != nil,
            approvals: Set(shown.approvals.flatMap { view in view.approvers.map { "\(view.transition)=\($0)" } }),
            mayFire: Dictionary(uniqueKeysWithValues: shown.possibleTransitions.map { ($0.name, $0.participants) }),
            tasks: Set(shown.openTasks.map { "\($0.kind) \($0.label) \(DataDate.format($0.runAt))" }))
    }

    @Test func theyAgreeAfterEveryStep() async throws {
        try await EngineFixture.run { fixture in
            let definition = try shippedWorkflow("start-small")
            let engine = fixture.engine(at: Self.start)
            let item = try await engine.create(
                workflow: "start-small", title: "Alice starts small", author: "carol",
                participants: Self.participants, data: [:])
            #expect(try await Self.store(engine, item: item.id) == Self.runner(after: 0, definition: definition))
            for (index, step) in Self.steps.enumerated() {
                _ = try await engine.fire(
                    item: item.id, transition: step.transition, actor: step.actor, comment: step.comment,
                    data: step.data)
                let stored = try await Self.store(engine, item: item.id)
                let played = try Self.runner(after: index + 1, definition: definition)
                #expect(
                    stored == played, "after \(step.transition) by \(step.actor):\nstore  \(stored)\nrunner \(played)")
                if index == 3 {
                    // One of two coaches approved: the other and the community manager may finish
                    // it; alice, whose work it is, may not.
                    #expect(stored.approvals == ["graduate=bob"])
                    #expect(stored.mayFire["graduate"] == ["carol", "dana"])
                    #expect(!stored.tasks.isEmpty)
                }
            }
        }
    }
}

private func shippedWorkflow(_ name: String) throws -> WorkflowDefinition {
    let url = TestDatabase.repositoryRoot.appendingPathComponent("Workflows/\(name).yaml")
    return try #require(WorkflowParser.check(try String(contentsOf: url, encoding: .utf8)).validDefinition)
}
