import Foundation
public import LibPQ
public import Logging
import Metrics
public import PodiumCore
public import ServiceLifecycle

/// Gauges read on a schedule rather than on each scrape, so a scrape never waits on the
/// database and a busy Prometheus cannot load it: the queue's backlog and the age of its oldest
/// due task (each `interval`), the stuck items by reason (every fourth sample: finding them reads
/// every open item), and each pool's connections.
public struct MetricsSampler: Service {
    let services: PodiumServices
    /// The pools whose connections are reported, by name (`serve`, `worker`).
    let pools: [String: PostgresPool]
    let interval: Duration
    let logger: Logger

    public init(
        services: PodiumServices, pools: [String: PostgresPool], interval: Duration = .seconds(15), logger: Logger
    ) {
        self.services = services
        self.pools = pools
        self.interval = interval
        self.logger = logger
    }

    /// Samples until the group shuts down gracefully.
    public func run() async throws {
        var sample = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await self.sample(stuck: sample % 4 == 0)
            sample += 1
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }

    /// Reads every gauge once; a database that does not answer leaves them as they were, and says so.
    func sample(stuck: Bool) async {
        for (name, pool) in pools {
            let statistics = await pool.statistics
            Gauge(label: "podium_pool_connections", dimensions: [("pool", name), ("state", "open")])
                .record(statistics.open)
            Gauge(label: "podium_pool_connections", dimensions: [("pool", name), ("state", "in_use")])
                .record(statistics.inUse)
            Gauge(label: "podium_pool_waiting", dimensions: [("pool", name)]).record(statistics.waiting)
        }
        do {
            let backlog = try await services.tasks.backlog()
            Gauge(label: "podium_queue_due_tasks").record(backlog.due)
            Gauge(label: "podium_queue_oldest_due_age_seconds").record(backlog.oldestAgeSeconds)
            guard stuck else { return }
            let items = try await services.stuck.find(limit: 100_000)
            var counts = Dictionary(uniqueKeysWithValues: StuckReason.kinds.map { ($0, 0) })
            for item in items {
                for reason in Set(item.reasons.map(\.kind)) { counts[reason, default: 0] += 1 }
            }
            for (reason, count) in counts {
                Gauge(label: "podium_stuck_items", dimensions: [("reason", reason)]).record(count)
            }
        } catch {
            logger.warning("could not sample the queue for metrics", metadata: ["error": "\(error)"])
        }
    }
}
