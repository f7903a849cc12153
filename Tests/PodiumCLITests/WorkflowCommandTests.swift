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
        #expect(passing.stdout.contains("10 passed, 0 failed"))

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
            // open-door counts business days in the head-office calendar: refused until it is loaded.
            let early = try await PodiumBinary.run(["workflow", "load"], environment: environment)
            #expect(early.exitCode == 3, "\(early.stderr)")
            #expect(early.stderr.contains("open-door names calendar head-office"), "\(early.stderr)")
            #expect(early.stderr.contains("nothing loaded"), "\(early.stderr)")
            #expect(early.stderr.contains("podium calendar load Calendars/head-office.yaml"), "\(early.stderr)")
            let calendars = try await PodiumBinary.run(["calendar", "load"], environment: environment)
            #expect(calendars.stdout == "head-office revision 1 loaded\n", "\(calendars.stderr)")
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

    @Test func calendarsAreCheckedLoadedListedAndShown() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let environment = ["DATABASE_URL": configuration.conninfoIncludingPassword()]
            let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("cal-\(UUID()).yaml")
            try "name: bad\nzone: Europe/Londres\nholidays:\n  2026-13-01: x\n".write(
                to: file, atomically: true, encoding: .utf8)
            let invalid = try await PodiumBinary.run(["calendar", "load", file.path], environment: environment)
            #expect(invalid.exitCode == 1)
            #expect(invalid.stderr.contains("\(file.path):2:7: error: zone:"), "\(invalid.stderr)")
            #expect(invalid.stderr.contains("\(file.path):4:3: error: holidays: \"2026-13-01\" is not a date"))
            #expect(invalid.stderr.contains("nothing loaded"))
            let valid = try await PodiumBinary.run(["calendar", "validate", "Calendars"], environment: [:])
            #expect(valid.exitCode == 0 && valid.stderr.contains("ok (head-office, 16 holidays)"), "\(valid.stderr)")
            let load = try await PodiumBinary.run(["calendar", "load", "--json"], environment: environment)
            #expect(load.stdout.contains("\"changed\" : true"), "\(load.stdout)")
            let again = try await PodiumBinary.run(["calendar", "load"], environment: environment)
            #expect(again.stdout == "head-office revision 1 unchanged\n")
            let list = try await PodiumBinary.run(["calendar", "list"], environment: environment)
            #expect(list.stdout.contains("head-office  Europe/London  mon tue wed thu fri  16"), "\(list.stdout)")
            let show = try await PodiumBinary.run(["calendar", "show", "head-office"], environment: environment)
            #expect(show.stdout.contains("2026-04-03  Good Friday"), "\(show.stdout)")
            let missing = try await PodiumBinary.run(["calendar", "show", "nowhere"], environment: environment)
            #expect(missing.exitCode == 3 && missing.stderr.contains("no calendar named nowhere"))
        }
    }
}
