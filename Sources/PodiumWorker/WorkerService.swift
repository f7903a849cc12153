public import LibPQ
public import ServiceLifecycle

/// A running worker as a swift-service-lifecycle `Service`, so a process can run it beside
/// other services (next, the HTTP server) in one `ServiceGroup`: on graceful shutdown the
/// worker finishes what it holds and `run()` returns.
public struct WorkerService: Service {
    public let worker: Worker
    public let configuration: PostgresConfiguration
    /// Told what the worker did, once it has stopped.
    let stopped: @Sendable (WorkerSummary) -> Void

    public init(
        worker: Worker, configuration: PostgresConfiguration, stopped: @escaping @Sendable (WorkerSummary) -> Void
    ) {
        self.worker = worker
        self.configuration = configuration
        self.stopped = stopped
    }

    /// Runs the worker until the group shuts down gracefully.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            stopped(try await worker.run(configuration: configuration))
        } onGracefulShutdown: {
            Task { await worker.stop() }
        }
    }
}
