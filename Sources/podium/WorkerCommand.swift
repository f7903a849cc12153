import ArgumentParser
import Foundation
import LibPQ
import PodiumCore
import PodiumWorker
import Synchronization

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Sends reminders and escalations and fires timers, as tasks fall due.",
        discussion: """
            Long-running by default: takes due tasks in rounds, each one transaction that locks
            them (FOR UPDATE SKIP LOCKED) and finishes file and log messages inside it; timers
            and command or webhook messages are leased and done after it. It wakes on NOTIFY
            when new work arrives and otherwise sleeps until the next due time, and on SIGTERM or SIGINT finishes what it holds and exits 0. With --once it
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

    func run() async throws {
        let configuration = try Database.configuration()
        let pool = PostgresPool(
            configuration: configuration,
            options: .init(
                maxConnections: min(concurrency, 16) + 1, reconnectFor: .seconds(60), applicationName: "podium-worker"))
        let options = WorkerOptions(
            concurrency: concurrency, defaultChannel: try DeliveryChannel(spec: notifier),
            lease: .seconds(leaseSeconds), retryDelay: .seconds(retrySeconds))
        let owner =
            "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
        let worker = Worker(
            pool: pool, options: options, time: try ItemCommand.clock(),
            environment: ProcessInfo.processInfo.environment, owner: owner)
        do {
            if once {
                let summary = try await worker.runOnce()
                Terminal.output(summary.description)
                return
            }
            let signals = Self.stopOnSignals(worker)
            Terminal.note("podium worker \(owner): running with concurrency \(concurrency); SIGTERM or Ctrl-C stops it")
            let summary = try await worker.run(configuration: configuration)
            signals.cancel()
            Terminal.note("podium worker \(owner): stopped; \(summary)")
        } catch let error as PostgresError {
            throw PodiumError(error, while: "process tasks")
        }
    }

    /// SIGTERM and SIGINT ask the worker to finish what it holds and stop.
    ///
    /// A plain C handler records the signal in an atomic flag (the only thing a signal handler
    /// may safely do) and a task polls the flag. Dispatch signal sources lost a SIGTERM now and
    /// then under load, leaving a worker nobody could stop.
    private static func stopOnSignals(_ worker: Worker) -> Task<Void, Never> {
        for number in [SIGTERM, SIGINT] {
            signal(number) { _ in stopSignalReceived.store(true, ordering: .relaxed) }
        }
        return Task {
            while !Task.isCancelled {
                if stopSignalReceived.load(ordering: .relaxed) {
                    await worker.stop()
                    return
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}

/// Set by the SIGTERM and SIGINT handler.
private let stopSignalReceived = Atomic<Bool>(false)
