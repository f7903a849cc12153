public import Foundation
public import LibPQ
public import PodiumCore
import WorkflowEngine
import WorkflowLanguage

/// A migrated database with the shipped calendars and workflows loaded and a cast of actors, for engine tests.
public struct EngineFixture: Sendable {
    public let pool: PostgresPool
    public let configuration: PostgresConfiguration

    /// Alice (executive), Bob (coach), Carol (global community manager), Dana (coach), Eve (nobody).
    public static let cast: [(handle: String, name: String, roles: [String])] = [
        ("alice", "Alice Chen", []), ("bob", "Bob Reyes", []), ("carol", "Carol Diaz", ["community_manager"]),
        ("dana", "Dana Kim", []), ("eve", "Eve Outsider", []),
    ]

    /// Sets up a fresh database, runs `body`, drops the database.
    public static func run<T>(_ body: (EngineFixture) async throws -> T) async throws -> T {
        try await TestDatabase.withFreshDatabase { configuration in
            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 4))
            let calendars = CalendarStore(pool: pool)
            for file in try WorkflowFiles.expand([TestDatabase.repositoryRoot.appendingPathComponent("Calendars").path])
            {
                let source = try WorkflowFiles.read(file)
                guard
                    let definition = CalendarParser.check(source, zoneProblem: BusinessCalendar.zoneProblem).definition
                else { throw PodiumError(.usage, "\(file) is not valid") }
                _ = try await calendars.load(definition, source: source, path: file)
            }
            let store = WorkflowStore(pool: pool)
            let folder = TestDatabase.repositoryRoot.appendingPathComponent("Workflows")
            for file in try WorkflowFiles.expand([folder.path]) {
                let source = try WorkflowFiles.read(file)
                guard let definition = WorkflowParser.check(source).validDefinition else {
                    throw PodiumError(.usage, "\(file) is not valid")
                }
                _ = try await store.load(definition, source: source, path: file)
            }
            let actors = ActorStore(pool: pool)
            for person in cast {
                _ = try await actors.add(
                    handle: person.handle, name: person.name, roles: person.roles, timezone: "Europe/Paris",
                    channel: nil, workingHours: nil)
            }
            do {
                let result = try await body(EngineFixture(pool: pool, configuration: configuration))
                await pool.shutdown()
                return result
            } catch {
                await pool.shutdown()
                throw error
            }
        }
    }

    /// An engine whose clock stands at `now`.
    public func engine(at now: Date = Date(timeIntervalSince1970: 1_772_442_000)) -> ItemEngine {
        ItemEngine(pool: pool, time: FixedTime(now), door: .cli)
    }

    /// A new item on `workflow`, created by carol, with alice as its executive (and bob as its
    /// coach when the workflow has one and `withCoach` is set).
    public func item(_ workflow: String, title: String, withCoach: Bool = false) async throws -> ItemView {
        var people = [Participant(role: "executive", actor: "alice")]
        if withCoach { people.append(Participant(role: "coach", actor: "bob")) }
        return try await engine().create(
            workflow: workflow, title: title, author: "carol", participants: people, data: [:])
    }

    /// How many history rows the item has.
    public func historyCount(_ id: Int) async throws -> Int {
        try await pool.query("select count(*) as n from history where item_id = \(id)").single().decode(Int.self, "n")
    }
}
