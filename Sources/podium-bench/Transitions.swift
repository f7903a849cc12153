import Foundation
import LibPQ
import PodiumCore

/// Transitions per second through `ItemEngine.fire`, with `clients` concurrent tasks on a pool of
/// as many connections. Each client owns `itemsPerClient` exec-post items and goes round them,
/// bouncing each between `draft` and `private_review` (`submit` by the executive,
/// `request_changes` by the coach): every fire checks roles and requirements, appends history,
/// updates the item, replaces its tasks and commits durably. Expects a migrated database with
/// exec-post loaded and actors alice and bob.
///
/// With one item per client every item changes hundreds of times a second, far beyond any real
/// program, and its dead row versions pile up faster than autovacuum removes them (BENCHMARKS.md).
///
/// - Parameter fires: when set, each run makes exactly this many fires in all (rounded down to
///   whole submit and request_changes pairs per client) instead of running for `seconds`: for
///   instruction counts, which compare two counts of fires.
func benchmarkTransitions(
    configuration: PostgresConfiguration, clients: Int, itemsPerClient: Int, seconds: Double, fires: Int?,
    runs: Int
) async throws -> Sample {
    let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: clients))
    defer { Task { await pool.shutdown() } }
    let engine = ItemEngine(pool: pool, door: .cli)
    var owned: [[Int]] = []
    for client in 0..<clients {
        var items: [Int] = []
        for index in 0..<itemsPerClient {
            let item = try await engine.create(
                workflow: "exec-post", title: "Benchmark post \(client)-\(index)", author: "carol",
                participants: [.init(role: "executive", actor: "alice"), .init(role: "coach", actor: "bob")],
                data: ["body": "A first draft.", "publish_at": "2099-01-01T09:00:00Z"])
            _ = try await engine.fire(item: item.id, transition: "start_draft", actor: "alice")
            items.append(item.id)
        }
        owned.append(items)
    }
    let round: @Sendable (Int) async throws -> Void = { item in
        _ = try await engine.fire(item: item, transition: "submit", actor: "alice")
        _ = try await engine.fire(item: item, transition: "request_changes", actor: "bob", comment: "Shorter, please.")
    }
    for items in owned { try await round(items[0]) }  // warm up: connections open, definitions cached
    var rates: [Double] = []
    for _ in 0..<runs {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        let fires = try await withThrowingTaskGroup(of: Int.self) { group in
            for items in owned {
                group.addTask {
                    var count = 0
                    var next = 0
                    let pairs = fires.map { $0 / clients / 2 }
                    while pairs.map({ count / 2 < $0 }) ?? (clock.now < deadline) {
                        try await round(items[next])
                        next = (next + 1) % items.count
                        count += 2
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = clock.now - start
        rates.append(
            Double(fires) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
    }
    return Sample(values: rates)
}
