import Foundation
import LibPQ
import PodiumTestSupport
import Testing

@Suite("podium workflow")
struct WorkflowCommandTests {
    @Test func validateShippedWorkflowsPasses() async throws {
        let result = try await PodiumBinary.run(["workflow", "validate", "Workflows"], environment: [:])
        #expect(result.exitCode == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("Workflows/exec-post.yaml: ok"))
    }

    @Test func validateABrokenFilePrintsFileLineColumnAndExitsOne() async throws {
        let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("broken-\(UUID()).yaml")
        try "name: broken\ntitle: B\nroles: {a: b}\ninitial: s\nstages:\n  s: {terminl: true}\ntransitions: {}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let result = try await PodiumBinary.run(["workflow", "validate", file.path], environment: [:])
        #expect(result.exitCode == 1)
        #expect(
            result.stdout.contains(
                "\(file.path):6:7: error: unknown key \"terminl\" in stage \"s\"; did you mean \"terminal\"?"))
        let json = try await PodiumBinary.run(["workflow", "validate", "--json", file.path], environment: [:])
        #expect(json.exitCode == 1)
        #expect(json.stdout.contains("\"line\" : 6") && json.stdout.contains("\"severity\" : \"error\""))
    }

    @Test func scenarioTestsPassAndFailuresExitOne() async throws {
        let passing = try await PodiumBinary.run(["workflow", "test", "Workflows/tests"], environment: [:])
        #expect(passing.exitCode == 0, "\(passing.stdout)")
        #expect(passing.stdout.contains("7 passed, 0 failed"))

        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("scenarios-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let workflow = TestDatabase.repositoryRoot.appendingPathComponent("Workflows/exec-post.yaml").path
        try "workflow: \(workflow)\nparticipants: {executive: a}\nsteps:\n  - wait: 1d\n  - expect: {stage: done}\n"
            .write(to: folder.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        let failing = try await PodiumBinary.run(["workflow", "test", folder.path], environment: [:])
        #expect(failing.exitCode == 1)
        #expect(failing.stdout.contains("s.yaml:5: expected stage done, the item is in listen"))
    }

    @Test func graphFromAFileNeedsNoDatabase() async throws {
        let result = try await PodiumBinary.run(
            ["workflow", "graph", "Workflows/exec-post.yaml", "--format", "dot"], environment: [:])
        #expect(result.exitCode == 0)
        #expect(result.stdout.hasPrefix("digraph \"exec-post\" {"))
        #expect(result.stdout.contains("style=dashed"))
    }

    @Test func loadListShowAndGraphThroughTheDatabase() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let environment = ["DATABASE_URL": configuration.conninfoIncludingPassword()]
            let load = try await PodiumBinary.run(["workflow", "load"], environment: environment)
            #expect(load.exitCode == 0, "\(load.stderr)")
            #expect(load.stdout.contains("exec-post@1 new"))
            let again = try await PodiumBinary.run(["workflow", "load", "--json"], environment: environment)
            #expect(again.stdout.contains("\"new\" : false"))
            let list = try await PodiumBinary.run(["workflow", "list", "--json"], environment: environment)
            #expect(list.stdout.contains("\"latest_version\" : 1"))
            let show = try await PodiumBinary.run(["workflow", "show", "exec-post@1"], environment: environment)
            #expect(show.stdout.contains("private_review: Private review with the coach"))
            let graph = try await PodiumBinary.run(["workflow", "graph", "open-door"], environment: environment)
            #expect(graph.stdout.hasPrefix("flowchart LR"))
            let missing = try await PodiumBinary.run(["workflow", "show", "nope"], environment: environment)
            #expect(missing.exitCode == 3)
        }
    }

    @Test func aBrokenFileIsNeverLoaded() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("bad-\(UUID()).yaml")
            try "name: bad\n".write(to: file, atomically: true, encoding: .utf8)
            let environment = ["DATABASE_URL": configuration.conninfoIncludingPassword()]
            let result = try await PodiumBinary.run(
                ["workflow", "load", "Workflows/exec-post.yaml", file.path], environment: environment)
            #expect(result.exitCode == 1)
            #expect(result.stderr.contains("nothing loaded"))
            let list = try await PodiumBinary.run(["workflow", "list", "--json"], environment: environment)
            #expect(list.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]")
        }
    }
}
