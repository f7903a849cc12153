import Foundation
import LibPQ
import Logging
import PodiumCore
import PodiumWorker

/// The workers' logs in tests: these tests provoke failures on purpose and check their outcome in
/// the database, so the warnings would only fill the suite's output.
let quiet = Logger(label: "podium.worker.test") { _ in SwiftLogNoOpLogHandler() }

/// A worker on a clock that stands at `now`.
func worker(_ pool: PostgresPool, at now: Date, concurrency: Int = 8, retry: Duration = .seconds(30)) -> Worker {
    Worker(
        pool: pool, options: WorkerOptions(concurrency: concurrency, lease: .seconds(30), retryDelay: retry),
        time: FixedTime(now), environment: [:], owner: "test-\(UUID().uuidString.prefix(6))", logger: quiet)
}

/// The JSON messages a `file:` channel at `path` holds, one per line.
func messages(in path: String) throws -> [[String: Any]] {
    try ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map {
        (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) ?? [:]
    }
}
