import ArgumentParser
import Foundation
import LibPQ
import Logging
import PodiumCore
import PodiumServer
import PodiumWorker
import ServiceLifecycle

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
            the database is away it logs each failed attempt and retries with backoff; when the
            database refuses it (a wrong password, no such database, no rights) it stops, exit 9.
            With --once it
            processes everything due now, prints a one-line summary and exits: for cron, a
            systemd timer or a Kubernetes CronJob. Run as many workers as you like, anywhere.

            Delivery is at least once: every message carries an idempotency_key that is the same
            on every retry, so receivers can drop duplicates. The webhook secret comes from
            PODIUM_WEBHOOK_SECRET, never from a flag.

            With PODIUM_PUBLIC_URL and a signing secret (PODIUM_SECRET_FILE or PODIUM_SECRET, the
            same as podium serve's), every message carries item_url and a signed link to act
            (link), valid PODIUM_LINK_DAYS days (7 by default).

            Example:
              podium worker --concurrency 8 --notifier file:/var/log/podium/messages.jsonl
              podium worker --once
            """
    )

    @Flag(help: "Process everything due now, print a summary, exit.")
    var once = false

    @OptionGroup var delivery: DeliveryOptions

    @Option(
        parsing: .unconditional,
        help: "With --once: seconds to wait for an unreachable database before giving up (exit 6); 10 by default.")
    var databaseWait: Int?

    @Option(parsing: .unconditional, help: "Seconds before a crashed worker's leased tasks are taken over.")
    var leaseSeconds = 60

    @Option(parsing: .unconditional, help: "First retry delay in seconds (doubles per attempt, with jitter).")
    var retrySeconds = 30

    @Option(
        parsing: .unconditional,
        help: "Serve Prometheus metrics on this port (GET /metrics, no token); 0 picks a free one.")
    var metricsPort: Int?

    @Option(help: "The address the metrics port listens on.")
    var metricsHost = "127.0.0.1"

    func validate() throws {
        guard (1...Int(TaskQueue.longestLease)).contains(leaseSeconds) else {
            throw ValidationError("--lease-seconds must be 1 to \(Int(TaskQueue.longestLease)) (a day)")
        }
        if let databaseWait {
            guard (1...3600).contains(databaseWait) else { throw ValidationError("--database-wait must be 1 to 3600") }
            guard once else {
                throw ValidationError("--database-wait is for --once; a long-running worker waits out an outage itself")
            }
        }
        if let metricsPort {
            guard (0...65_535).contains(metricsPort) else { throw ValidationError("--metrics-port must be 0 to 65535") }
            guard !once else { throw ValidationError("--metrics-port is for a long-running worker, not --once") }
        }
    }

    @Option(help: "Log lines: auto (text on a terminal, JSON otherwise), text or json.")
    var logFormat: LogFormat = .auto

    func run() async throws {
        // Signals first: a SIGTERM from now on asks for a stop instead of killing the process.
        // Before this line (the process loading and parsing its arguments, a few milliseconds)
        // SIGTERM ends it at once; it has claimed nothing by then, so nothing is lost.
        StopSignals.catch()
        logFormat.bootstrap()
        let logger = Logger(label: "podium.worker")
        // --once gives up on an unreachable database after --database-wait seconds (exit 6); a
        // running worker lets each attempt fail fast and retries with backoff itself, saying so
        // in its log. Either stops at once, exit 9, when the database refuses it.
        let services = try await Services.open(
            for: .worker(concurrency: delivery.concurrency, once: once, databaseWait: .seconds(databaseWait ?? 10)))
        let options = WorkerOptions(
            concurrency: delivery.concurrency, defaultChannel: try delivery.channel(),
            lease: .seconds(leaseSeconds), retryDelay: .seconds(retrySeconds),
            links: try LinkMaker.from(environment: ProcessInfo.processInfo.environment),
            mailFrom: WorkerOptions.mailFrom(ProcessInfo.processInfo.environment))
        let owner =
            "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
        let worker = Worker(
            pool: services.pool, options: options, time: services.clock,
            environment: ProcessInfo.processInfo.environment, owner: owner, logger: logger)
        do {
            if once {
                // A stop signal here too ends the round early, the same way.
                let stopping = Task {
                    await StopSignals.stop(within: Self.stopGrace, logger: logger) { await worker.stop() }
                }
                let summary = try await worker.runOnce()
                stopping.cancel()
                Terminal.output(summary.description)
                return
            }
            let service = WorkerService(worker: worker, listen: services.listen) { summary in
                Terminal.note("podium worker \(owner): stopped; \(summary)")
            }
            var members: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: service)]
            if let metricsPort {
                let registry = PodiumMetrics.bootstrap()
                let host = metricsHost
                members.append(
                    .init(
                        service: PodiumAPI.metricsApplication(
                            registry: registry, host: host, port: metricsPort, logger: logger
                        ) { port in Terminal.note("podium worker \(owner): metrics on http://\(host):\(port)/metrics") }
                    ))
                members.append(
                    .init(service: MetricsSampler(services: services, pools: ["worker": services.pool], logger: logger))
                )
            }
            // The group's own signal handling is not used: SIGTERM and SIGINT reach it through
            // the handler above (see StopSignals), which triggers its graceful shutdown.
            let group = ServiceGroup(
                configuration: .init(services: members, gracefulShutdownSignals: [], logger: logger))
            let stopping = Task {
                await StopSignals.stop(within: Self.stopGrace, logger: logger) { await group.triggerGracefulShutdown() }
            }
            Terminal.note(
                "podium worker \(owner): ready, concurrency \(delivery.concurrency); SIGTERM or Ctrl-C stops it")
            try await group.run()
            stopping.cancel()
        } catch let error as PostgresError {
            throw PodiumError(error, while: "process tasks")
        }
    }

    /// How long a stopping worker may take to finish what it holds before the process ends
    /// anyway: whatever the database does, SIGTERM is obeyed within this. Its leases then run
    /// out and another worker takes the tasks over, so nothing is lost.
    static let stopGrace: Duration = .seconds(1)
}

/// How a worker delivers: `worker` and `serve --with-worker` share them.
struct DeliveryOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Tasks processed at once.")
    var concurrency = 8

    @Option(help: "Channel for people without their own: log, file:PATH, command:PROGRAM or webhook:URL.")
    var notifier = "log"

    func validate() throws {
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 256") }
        do {
            _ = try DeliveryChannel(spec: notifier)
        } catch {
            throw ValidationError("--notifier: \(error)")
        }
    }

    /// The default channel `--notifier` names.
    func channel() throws -> DeliveryChannel { try DeliveryChannel(spec: notifier) }
}
