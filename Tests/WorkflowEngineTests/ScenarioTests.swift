import Foundation
import Testing
import WorkflowEngine
import WorkflowLanguage

private let scenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Workflows/tests")

@Suite("Scenario tests on a virtual clock")
struct ScenarioTests {
    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: scenarios.path)) ?? []).filter { $0.hasSuffix(".yaml") }
            .sorted()
    }

    @Test func everyWorkflowHasScenarios() {
        let covered = Set(Self.files.map { $0.split(separator: "-").prefix(2).joined(separator: "-") })
        for workflow in ["exec-post", "start-small", "reverse-mentoring", "ambassador-window", "open-door"] {
            #expect(covered.contains { workflow.hasPrefix($0) || $0.hasPrefix(workflow) }, "\(workflow)")
        }
    }

    @Test(arguments: files)
    func shippedScenarioPasses(file: String) throws {
        let scenario = try Scenario.parse(
            try String(contentsOf: scenarios.appendingPathComponent(file), encoding: .utf8))
        let workflow = scenarios.appendingPathComponent(scenario.workflowPath).standardizedFileURL
        let definition = try #require(
            WorkflowParser.check(try String(contentsOf: workflow, encoding: .utf8)).validDefinition)
        let result = scenario.run(against: definition)
        #expect(result.failures.isEmpty, "\(result.failures)")
    }

    @Test func failingStepsAreReportedWithTheirLines() throws {
        let text = """
            scenario: wrong expectations
            workflow: ../exec-post.yaml
            participants: {executive: alice, coach: bob}
            steps:
              - fire: start_draft
                as: alice
              - expect: {stage: publish}
              - fire: approve
                as: bob
              - expect_refusal:
                  fire: submit
                  as: alice
                  set: {body: b, publish_at: 2026-03-10}
            """
        let scenario = try Scenario.parse(text)
        let result = scenario.run(against: try shippedWorkflow("exec-post"))
        #expect(result.failures.map(\.line) == [7, 8, 10])
        #expect(result.failures[0].message == "expected stage publish, the item is in draft")
        #expect(
            result.failures[1].message.hasPrefix("fire approve as bob was refused: approve is not possible from draft"))
        #expect(result.failures[2].message == "expected submit as alice to be refused; it moved to private_review")
    }

    @Test func malformedScenariosSayWhere() {
        let error = #expect(throws: ScenarioError.self) {
            try Scenario.parse("workflow: x.yaml\nsteps:\n  - jump: high\n")
        }
        #expect(error?.line == 3)
        let unknown = #expect(throws: ScenarioError.self) {
            try Scenario.parse("workflow: x.yaml\nsteps:\n  - expect: {stgae: draft}\n")
        }
        #expect(unknown?.message.contains("unknown expectation \"stgae\"") == true)
    }

    /// Found by scripts/fuzz: nine lines of aliases took the YAML library 9 s to expand. They are
    /// refused before it reads them, as in workflow files.
    @Test func aliasBombsAreRefusedBeforeTheYAMLIsRead() {
        var text = "scenario: laughs\nworkflow: x.yaml\nl0: &l0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n"
        for level in 1...6 {
            text +=
                "l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        // Refused at the first anchor, read from the parser's events before any tree exists.
        let error = #expect(throws: ScenarioError.self) { try Scenario.parse(text) }
        #expect(error?.line == 3)
        #expect(error?.message.contains("anchors and aliases (&name, *name) are not allowed in scenario files") == true)
    }
}
