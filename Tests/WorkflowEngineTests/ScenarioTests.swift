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
        let setup = try ScenarioSetup(file: scenarios.appendingPathComponent(file).path)
        let result = setup.scenario.run(against: setup.definition, calendar: setup.calendar)
        #expect(result.failures.isEmpty, "\(result.failures)")
    }

    /// A scenario stops at its first broken step, with its line and the reason, and says how
    /// many steps it did not run: what follows would fail for the same cause.
    @Test func aScenarioStopsAtItsFirstBrokenStep() throws {
        let text = """
            scenario: wrong expectations
            workflow: ../exec-post.yaml
            participants: {executive: alice, coach: bob}
            steps:
              - fire: start_draft
                as: alice
              - expect: {stage: publish, reminders_sent: 0}
              - fire: approve
                as: bob
              - expect_refusal:
                  fire: submit
                  as: alice
                  set: {body: b, publish_at: 2026-03-10}
            """
        let result = try Scenario.parse(text).run(against: try shippedWorkflow("exec-post"))
        #expect(result.failures.map(\.line) == [7])
        #expect(
            result.failures[0].message
                == "expected stage publish, the item is in draft (the scenario stops here; 2 later step(s) not run)")
    }

    /// A mistyped name is said as such (with the nearest of the scenario's people), not as the
    /// twenty refusals it would cause; a refusal expected of a mistyped name proves nothing.
    @Test(arguments: ["fire: start_draft\n    as: alcie", "expect_refusal:\n      fire: approve\n      as: alcie"])
    func aMistypedNameIsSaidOnce(step: String) throws {
        let text = """
            scenario: a typo
            workflow: ../exec-post.yaml
            participants: {executive: alice, coach: bob}
            steps:
              - \(step)
              - fire: start_draft
                as: alice
            """
        let result = try Scenario.parse(text).run(against: try shippedWorkflow("exec-post"))
        #expect(
            result.failures.map(\.message) == [
                "alcie is not one of the scenario's people (alice, bob); did you mean alice? "
                    + "(someone who takes no part is listed under actors: with no roles) "
                    + "(the scenario stops here; 1 later step(s) not run)"
            ])
    }

    /// Each expectation says what it takes, at the line of the value, before anything runs.
    @Test(arguments: [
        ("timers_fired: 1", "timers_fired takes a list of transition names, e.g. [close_dialogue]"),
        ("closed: yes please", "closed takes true or false"),
        ("reminders_sent: many", "reminders_sent takes a count, or a list of reminder labels, e.g. [at due]"),
        ("stage: [draft]", "stage takes a stage name, e.g. draft"),
        ("approvals: 2", "approvals takes a mapping of transitions to counts, e.g. {approve: 1}"),
    ])
    func expectationsSayWhatTheyTake(expectation: String, message: String) {
        let error = #expect(throws: ScenarioError.self) {
            try Scenario.parse("workflow: x.yaml\nsteps:\n  - expect:\n      \(expectation)\n")
        }
        #expect(error?.message == "expectation \(message)" && error?.line == 4, "\(String(describing: error))")
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
