public import Logging
public import PodiumCore
public import ServiceLifecycle

/// Keeps `podium serve`'s reads on the replica only while it keeps up: every `interval` it asks
/// the replica how far behind it is (``PodiumServices/checkReplica()``), and the read endpoints
/// go to the primary while it lags more than `PODIUM_READ_MAX_LAG` or does not answer. Each
/// change of side is one log line; nothing runs without `PODIUM_READ_URL`.
public struct ReplicaWatch: Service {
    let services: PodiumServices
    let interval: Duration
    let logger: Logger

    public init(services: PodiumServices, interval: Duration = .seconds(2), logger: Logger) {
        self.services = services
        self.interval = interval
        self.logger = logger
    }

    /// Checks until the group shuts down gracefully. Without a replica it only waits for that:
    /// a service that returns early would end the whole group, the server with it.
    public func run() async throws {
        var onReplica: Bool?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            guard let reading = await services.checkReplica() else {
                try? await gracefulShutdown()
                return
            }
            let usable = services.readsFromReplica
            if usable != onReplica {
                switch reading {
                case .seconds(let lag) where usable:
                    logger.notice("reads go to the replica (PODIUM_READ_URL)", metadata: ["lag_seconds": "\(lag)"])
                case .seconds(let lag):
                    logger.warning(
                        "the replica is behind more than PODIUM_READ_MAX_LAG; reads go to the primary",
                        metadata: ["lag_seconds": "\(lag)"])
                case .unreachable(let reason):
                    logger.warning(
                        "cannot read from the replica; reads go to the primary", metadata: ["error": "\(reason)"])
                }
                onReplica = usable
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}
