import Foundation
import LibPQ
import PodiumCore
import PodiumTestSupport
import Testing
import WorkflowLanguage

private let exampleSource = """
    name: tiny
    title: Tiny
    roles: {writer: Writes.}
    initial: write
    stages:
      write: {title: Write, assignee: writer, due: 1d}
      done: {title: Done, terminal: true}
    transitions:
      finish: {from: write, to: done, roles: [writer]}
    """

private func definition(_ text: String) throws -> WorkflowDefinition {
    try #require(WorkflowParser.check(text).validDefinition)
}

@Suite("Workflow versions in PostgreSQL")
struct WorkflowStoreTests {
    @Test func unchangedFileIsANoOpAndAChangeIsTheNextVersion() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let pool = PostgresPool(configuration: configuration)
            let store = WorkflowStore(pool: pool)
            let first = try await store.load(try definition(exampleSource), source: exampleSource, path: "tiny.yaml")
            #expect(first.version == 1 && first.isNew)
            let reformatted = "# a comment\n" + exampleSource.replacingOccurrences(of: "due: 1d", with: "due: 24h")
            let same = try await store.load(try definition(reformatted), source: reformatted, path: "tiny.yaml")
            #expect(same.version == 1 && !same.isNew)
            let changed = exampleSource.replacingOccurrences(of: "due: 1d", with: "due: 2d")
            let second = try await store.load(try definition(changed), source: changed, path: "tiny.yaml")
            #expect(second.version == 2 && second.isNew)

            let newest = try await store.fetch("tiny")
            #expect(newest.version == 2)
            #expect(newest.definition == (try definition(changed)))
            let pinned = try await store.fetch("tiny", version: 1)
            #expect(pinned.definition.stage("write")?.due == .after(.elapsed(try WorkflowDuration(parsing: "1d"))))
            let summaries = try await store.list()
            #expect(summaries.map(\.name) == ["tiny"])
            #expect(summaries.first?.latestVersion == 2 && summaries.first?.versions == 2)
            await pool.shutdown()
        }
    }

    @Test func concurrentLoadsOfTheSameFileMakeOneVersion() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 4))
            let store = WorkflowStore(pool: pool)
            let workflow = try definition(exampleSource)
            let outcomes = try await withThrowingTaskGroup(of: LoadOutcome.self) { group in
                for _ in 0..<6 { group.addTask { try await store.load(workflow, source: exampleSource, path: nil) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter(\.isNew).count == 1)
            #expect(Set(outcomes.map(\.version)) == [1])
            await pool.shutdown()
        }
    }

    @Test func unknownWorkflowsAndVersionsAreNotFound() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let pool = PostgresPool(configuration: configuration)
            let store = WorkflowStore(pool: pool)
            _ = try await store.load(try definition(exampleSource), source: exampleSource, path: nil)
            let missing = await #expect(throws: PodiumError.self) { try await store.fetch("tiney") }
            #expect(missing?.kind == .notFound)
            #expect(missing?.hint?.contains("tiny") == true)
            let noVersion = await #expect(throws: PodiumError.self) { try await store.fetch("tiny", version: 9) }
            #expect(noVersion?.message == "tiny has no version 9")
            await pool.shutdown()
        }
    }
}
