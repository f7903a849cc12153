import ArgumentParser
import Foundation
import LibPQ
import Logging
import PodiumCore
import PodiumWorker
import ServiceLifecycle
import Synchronization

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Sends reminders and escalations and fires timers, as tasks fall due.",
        discussion: """
            Long-running by default: takes due tasks in rounds, each one transaction that locks
            them (FOR UPDATE SKIP LOCKED) and finishes file and log messages inside it; timers
            and command or webhook messages are leased and done after it. It wakes on NOTIFY
            when new work arrives and otherwise sleeps until the next due time. On SIGTERM or SIGINT it
            finishes what it holds and exits 0, within a second whatever the database does. While
            the database is away it logs each failed attempt and retries with backoff. With --once it
            processes everything due now, prints a one-line summary and exits: for cron, a
            systemd timer or a Kubernetes CronJob. Run as many workers as you like, anywhere.

            Delivery is at least once: every message carries an idempotency_key that is the same
            on every retry, so receivers can drop duplicates. The webhook secret comes from
            PODIUM_WEBHOOK_SECRET, never from a flag.

            Example:
              podium worker --concurrency 8 --notifier file:/var/log/podium/messages.jsonl
              podium worker --once
            """
    )

    @Flag(help: "Process everything due now, print a summary, exit.")
    var once = false

    @Option(help: "Tasks processed at once.")
    var concurrency = 8

    @Option(help: "Channel for people without their own: log, file:PATH, command:PROGRAM or webhook:URL.")
    var notifier = "log"

    @Option(help: "Seconds before a crashed worker's leased tasks are taken over.")
    var leaseSeconds = 60

    @Option(help: "First retry delay in seconds (doubles per attempt, with jitter).")
    var retrySeconds = 30

    func validate() throws {
        guard concurrency >= 1, concurrency <= 256 else { throw ValidationError("--concurrency must be 1 to 256") }
        guard leaseSeconds >= 1 else { throw ValidationError("--lease-seconds must be at least 1") }
        do {
            _ = try DeliveryChannel(spec: notifier)
        } catch {
            throw ValidationError("--notifier: \(error)")
        }
    }

    @Option(help: "Log lines: auto (text on a terminal, JSON otherwise), text or json.")
    var logFormat: LogFormat = .auto

    func run() async throws {
        // Signals first: a SIGTERM from now on asks for a stop instead of killing the process.
        // Before this line (the process loading and parsing its arguments, a few milliseconds)
        // SIGTERM ends it at once; it has claimed nothing by then, so nothing is lost.
        Self.catchStopSignals()
        logFormat.bootstrap()
        let logger = Logger(label: "podium.worker")
        // --once gives up on an unreachable database after 5 s (exit 6); a running worker lets
        // each attempt fail fast and retries with backoff itself, saying so in its log.
        let services = try await Services.open(for: .worker(concurrency: concurrency, once: once))
        let options = WorkerOptions(
            concurrency: concurrency, defaultChannel: try DeliveryChannel(spec: notifier),
            lease: .seconds(leaseSeconds), retryDelay: .seconds(retrySeconds))
        let owner =
            "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
        let worker = Worker(
            pool: services.pool, options: options, time: services.clock,
            environment: ProcessInfo.processInfo.environment, owner: owner, logger: logger)
        do {
            if once {
                // A stop signal here too ends the round early, the same way.
                let stopping = Task { await Self.stop(logger: logger) { await worker.stop() } }
                let summary = try await worker.runOnce()
                stopping.cancel()
                Terminal.output(summary.description)
                return
            }
            let service = WorkerService(worker: worker, configuration: services.configuration) { summary in
                Terminal.note("podium worker \(owner): stopped; \(summary)")
            }
            // The group's own signal handling is not used: SIGTERM and SIGINT reach it through
            // the handler above (see catchStopSignals), which triggers its graceful shutdown.
            let group = ServiceGroup(
                configuration: .init(services: [.init(service: service)], gracefulShutdownSignals: [], logger: logger))
            let stopping = Task { await Self.stop(logger: logger) { await group.triggerGracefulShutdown() } }
            Terminal.note("podium worker \(owner): ready, concurrency \(concurrency); SIGTERM or Ctrl-C stops it")
            try await group.run()
            stopping.cancel()
        } catch let error as PostgresError {
            throw PodiumError(error, while: "process tasks")
        }
    }

    /// How long a stopping worker may take to finish what it holds before the process ends
    /// anyway: whatever the database does, SIGTERM is obeyed within this.
    static let stopGrace: Duration = .seconds(1)

    /// SIGTERM and SIGINT set an atomic flag (the only thing a signal handler may safely do).
    /// Dispatch signal sources lost a SIGTERM now and then under load, leaving a worker nobody
    /// could stop; a plain C handler never has.
    private static func catchStopSignals() {
        for number in [SIGTERM, SIGINT] {
            signal(number) { _ in stopSignalReceived.store(true, ordering: .relaxed) }
        }
    }

    /// Waits for a stop signal, calls `stopping` (the service group shuts down gracefully, or a
    /// `--once` round stops early: the worker finishes what it holds), and ends the process if that takes longer than ``stopGrace`` (the database away,
    /// a webhook slow): its leases then run out and another worker takes the tasks over, so
    /// nothing is lost.
    private static func stop(logger: Logger, by stopping: @Sendable () async -> Void) async {
        while !stopSignalReceived.load(ordering: .relaxed) {
            guard (try? await Task.sleep(for: .milliseconds(50))) != nil else { return }
        }
        logger.info("stop requested; finishing what this worker holds")
        await stopping()
        guard (try? await Task.sleep(for: stopGrace)) != nil else { return }
        logger.warning("still busy \(stopGrace) after the stop request; ending now, leases hand the work over")
        Foundation.exit(0)
    }
}

/// Set by the SIGTERM and SIGINT handler.
private let stopSignalReceived = Atomic<Bool>(false)
