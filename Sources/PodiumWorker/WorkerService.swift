public import LibPQ
public import ServiceLifecycle

/// A running worker as a swift-service-lifecycle `Service`, so a process can run it beside
/// other services (next, the HTTP server) in one `ServiceGroup`: on graceful shutdown the
/// worker finishes what it holds and `run()` returns.
public struct WorkerService: Service {
    public let worker: Worker
    /// Where the worker LISTENs for new work; nil to poll.
    public let listen: PostgresConfiguration?
    /// Told what the worker did, once it has stopped.
    let stopped: @Sendable (WorkerSummary) -> Void

    public init(
        worker: Worker, listen: PostgresConfiguration?, stopped: @escaping @Sendable (WorkerSummary) -> Void
    ) {
        self.worker = worker
        self.listen = listen
        self.stopped = stopped
    }

    /// Runs the worker until the group shuts down gracefully.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            stopped(try await worker.run(listen: listen))
        } onGracefulShutdown: {
            Task { await worker.stop() }
        }
    }
}
