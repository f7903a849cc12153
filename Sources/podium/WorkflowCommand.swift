import ArgumentParser
import Foundation
import PodiumCore
import WorkflowEngine
import WorkflowLanguage

struct WorkflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Validate, load, inspect, draw and test workflow files.",
        subcommands: [Validate.self, Load.self, List.self, Show.self, Graph.self, TestScenarios.self, Migrate.self]
    )

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Checks workflow files; prints FILE:LINE:COL: error|warning: message.",
            discussion: """
                Exits 1 when any file has an error, 0 otherwise (warnings alone pass). Needs no database.

                Example:
                  podium workflow validate Workflows/*.yaml
                """
        )

        @Argument(help: "Workflow files or folders.")
        var paths: [String] = ["Workflows"]

        @OptionGroup var output: OutputOptions

        func run() async throws {
            var failed = false
            var findings: [Finding] = []
            for file in try WorkflowFiles.expand(paths) {
                let check = WorkflowParser.check(try WorkflowFiles.read(file))
                findings += check.diagnostics.map { Finding(file: file, diagnostic: $0) }
                if !output.json {
                    for diagnostic in check.diagnostics { Terminal.output(diagnostic.formatted(file: file)) }
                }
                if check.hasErrors {
                    failed = true
                } else if let definition = check.definition {
                    Terminal.note("\(file): ok (\(definition.name), \(definition.stages.count) stages)")
                }
            }
            if output.json { try JSONOutput.print(findings) }
            if failed { throw ExitCode(1) }
        }
    }

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validates and stores workflow files as versions.",
            discussion: """
                A version is the content hash of the canonical form: an unchanged file does
                nothing, a changed one becomes the next version number. A file with errors is
                never loaded (exit 1). Items stay on the version they started on.

                Example:
                  podium workflow load                 # everything in Workflows/
                  podium workflow load Workflows/exec-post.yaml
                """
        )

        @Argument(help: "Workflow files or folders.")
        var paths: [String] = ["Workflows"]

        @OptionGroup var output: OutputOptions

        func run() async throws {
            var checked: [(file: String, source: String, definition: WorkflowDefinition)] = []
            var failed = false
            for file in try WorkflowFiles.expand(paths) {
                let source = try WorkflowFiles.read(file)
                let check = WorkflowParser.check(source)
                for diagnostic in check.diagnostics { Terminal.note(diagnostic.formatted(file: file)) }
                guard let definition = check.validDefinition else {
                    failed = true
                    continue
                }
                checked.append((file, source, definition))
            }
            if failed {
                Terminal.error("nothing loaded: fix the errors above first")
                throw ExitCode(1)
            }
            let services = try await Services.open()
            // All or nothing: a workflow whose calendar is missing stops the load before any file.
            let calendars = Set(try await services.calendars.list().map(\.definition.name))
            for item in checked {
                guard let calendar = item.definition.calendar, !calendars.contains(calendar) else { continue }
                throw PodiumError(
                    .notFound,
                    "\(item.file): \(item.definition.name) names calendar \(calendar), which is not loaded; nothing loaded",
                    hint: "load the calendar file first", reason: "calendar", details: ["calendar": calendar])
            }
            let store = services.workflows
            var outcomes: [LoadOutcome] = []
            for item in checked {
                outcomes.append(try await store.load(item.definition, source: item.source, path: item.file))
            }
            if output.json { return try JSONOutput.print(outcomes) }
            for outcome in outcomes {
                Terminal.output("\(outcome.name)@\(outcome.version) \(outcome.isNew ? "new" : "unchanged")")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists loaded workflows with their newest version.",
            discussion: "Example:\n  podium workflow list --json"
        )

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let summaries = try await Services.open(for: .readOnlyCommand).workflows.list()
            if output.json { return try JSONOutput.print(summaries) }
            if summaries.isEmpty { return Terminal.note("no workflows loaded; run podium workflow load") }
            Terminal.output(
                Table.render(
                    ["NAME", "VERSION", "VERSIONS", "TITLE"],
                    summaries.map { [$0.name, "\($0.latestVersion)", "\($0.versions)", $0.title] }))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Shows a loaded workflow: stages, deadlines, transitions and who fires them.",
            discussion: "Example:\n  podium workflow show exec-post@2"
        )

        @Argument(help: "NAME or NAME@VERSION.")
        var workflow: WorkflowReference

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let stored = try await Services.open(for: .readOnlyCommand).workflows
                .fetch(workflow.name, version: workflow.version)
            if output.json {
                return try JSONOutput.print(
                    ShownWorkflow(version: stored.version, checksum: stored.checksum, definition: stored.definition))
            }
            Terminal.output(WorkflowDescription.text(stored.definition, version: stored.version))
        }
    }

    struct Graph: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draws a workflow as Mermaid or Graphviz DOT.",
            discussion: """
                Stages are nodes, transitions labelled edges, terminal stages marked, timers dashed.
                Give a loaded NAME[@VERSION], or a file path to draw without a database. With
                --live, each stage shows how many open items sit there and how many are overdue,
                straight from the database: where the work piles up.

                Example:
                  podium workflow graph exec-post --format mermaid
                  podium workflow graph Workflows/exec-post.yaml --format dot | dot -Tsvg > exec-post.svg
                  podium workflow graph exec-post --live
                """
        )

        @Argument(help: "NAME, NAME@VERSION, or a workflow file.")
        var workflow: String

        @Option(help: "mermaid or dot.")
        var format: GraphFormat = .mermaid

        @Flag(help: "Show on each stage how many open items sit there and how many are overdue.")
        var live = false

        func run() async throws {
            let definition: WorkflowDefinition
            // The database is opened once, and only when a stored version or live counts need it.
            var opened: WorkflowStore?
            func store() async throws -> WorkflowStore {
                if let opened { return opened }
                let store = try await Services.open(for: .readOnlyCommand).workflows
                opened = store
                return store
            }
            if workflow.hasSuffix(".yaml") || workflow.hasSuffix(".yml") {
                let check = WorkflowParser.check(try WorkflowFiles.read(workflow))
                guard let valid = check.validDefinition else {
                    for diagnostic in check.diagnostics { Terminal.note(diagnostic.formatted(file: workflow)) }
                    throw ExitCode(1)
                }
                definition = valid
            } else {
                let reference = try WorkflowReference.parse(workflow)
                definition = try await store().fetch(reference.name, version: reference.version).definition
            }
            var notes: [String: String] = [:]
            if live {
                let counts = try await store().liveCounts(definition.name, now: try ItemCommand.now())
                for stage in definition.stages where !stage.terminal {
                    let count = counts[stage.name] ?? (0, 0)
                    notes[stage.name] = "\(count.open) open, \(count.overdue) overdue"
                }
            }
            Terminal.output(WorkflowGraph.render(definition, format: format.value, notes: notes), terminator: "")
        }
    }
}

/// `name` or `name@version` on the command line.
struct WorkflowReference: ExpressibleByArgument {
    let name: String
    let version: Int?

    init?(argument: String) {
        guard let parsed = try? Self.parse(argument) else { return nil }
        self = parsed
    }

    private init(name: String, version: Int?) {
        self.name = name
        self.version = version
    }

    static func parse(_ text: String) throws -> WorkflowReference {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.first, !name.isEmpty else {
            throw PodiumError(.usage, "\(text) is not NAME or NAME@VERSION")
        }
        guard parts.count == 2 else { return WorkflowReference(name: String(name), version: nil) }
        guard let version = Int(parts[1]), version > 0 else {
            throw PodiumError(.usage, "\(text): the version after @ must be a positive number")
        }
        return WorkflowReference(name: String(name), version: version)
    }
}

enum GraphFormat: String, ExpressibleByArgument, CaseIterable {
    case mermaid, dot
    var value: WorkflowGraph.Format { self == .mermaid ? .mermaid : .dot }
}

struct ShownWorkflow: Encodable {
    let version: Int
    let checksum: String
    let definition: WorkflowDefinition
}

extension WorkflowCommand {
    struct TestScenarios: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "Runs scenario files against workflows on a virtual clock, with no database.",
            discussion: """
                Each scenario names its workflow file, the participants, and steps: fire a
                transition as someone, wait a while (reminders, escalations and timers happen on
                the way), expect a state, or expect a refusal. Failing steps are reported with
                their line; the exit code is 1 when any scenario fails.

                Example:
                  podium workflow test Workflows/tests
                  podium workflow test Workflows/tests/exec-post-changes-and-deadlines.yaml
                """
        )

        @Argument(help: "Scenario files or folders.")
        var paths: [String] = ["Workflows/tests"]

        func run() async throws {
            var failed = 0
            var passed = 0
            for file in try WorkflowFiles.expand(paths) {
                let setup: ScenarioSetup
                do {
                    setup = try ScenarioSetup(file: file)
                } catch {
                    Terminal.output("FAIL", in: .red, " \(file):\(error.line): \(error.message)")
                    failed += 1
                    continue
                }
                let result = setup.scenario.run(against: setup.definition, calendar: setup.calendar)
                if result.passed {
                    passed += 1
                    Terminal.output("PASS", in: .green, " \(file): \(result.title) (\(result.steps) steps)")
                } else {
                    failed += 1
                    Terminal.output("FAIL", in: .red, " \(file): \(result.title)")
                    for failure in result.failures { Terminal.output("  \(file):\(failure.line): \(failure.message)") }
                }
            }
            Terminal.output("\(passed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
        }
    }
}

extension WorkflowCommand {
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Moves the open items of a workflow to another version (admins only).",
            discussion: """
                Each item keeps its stage by name, or takes the one given with --map OLD=NEW. When
                a stage would be lost without a mapping, nothing moves and the stages are listed.
                Moved items enter their stage afresh (deadlines restart) and get a history row.

                Example:
                  podium workflow migrate start-small --to 2 --map private_space=private_group --dry-run --as root
                """
        )

        @Argument(help: "The workflow.")
        var workflow: String

        @Option(parsing: .unconditional, help: "The version to move to.")
        var to: Int

        func validate() throws {
            guard to >= 1 else { throw ValidationError("--to must be a version, 1 or more, not \(to)") }
        }

        @Option(help: "OLD=NEW stage mapping (repeatable).")
        var map: [String] = []

        @OptionGroup var acting: ActingAs

        @Option(help: "Why; recorded in each item's history.")
        var reason = "workflow migrated"

        @Flag(help: "Print what would change; change nothing.")
        var dryRun = false

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let mappings = try InputLimits.fields(map, what: "--map")
            let steps = try await ItemCommand.engine().migrate(
                workflow: workflow, to: to, mappings: mappings, actor: acting.handle, reason: reason, dryRun: dryRun)
            if output.json { return try JSONOutput.print(steps) }
            for step in steps {
                Terminal.output(
                    "item \(step.itemID): \(step.fromStage)@\(step.fromVersion) -> \(step.toStage)@\(step.toVersion)")
            }
            Terminal.note("\(dryRun ? "would migrate" : "migrated") \(steps.count) item\(steps.count == 1 ? "" : "s")")
        }
    }
}
