import Foundation
public import LibPQ
public import PodiumCore
internal import WorkflowEngine

/// How a worker behaves.
public struct WorkerOptions: Sendable {
    /// Tasks processed at once; also the claim batch size.
    public var concurrency: Int
    /// The channel for actors without one of their own.
    public var defaultChannel: DeliveryChannel
    /// How long a claim lasts; a crashed worker's tasks return to the queue after it.
    public var lease: Duration
    /// The longest sleep between looks at the queue (NOTIFY is a hint; this poll is the guarantee).
    /// At most ``ItemEngine/wakeHorizon``: the engine only NOTIFYs for tasks due sooner than that.
    public var pollInterval: Duration
    /// The first retry delay; doubles per attempt, with jitter, up to `maxRetryDelay`.
    public var retryDelay: Duration
    public var maxRetryDelay: Duration

    public init(
        concurrency: Int = 8, defaultChannel: DeliveryChannel = .log, lease: Duration = .seconds(60),
        pollInterval: Duration = .seconds(5), retryDelay: Duration = .seconds(30),
        maxRetryDelay: Duration = .seconds(3600)
    ) {
        self.concurrency = max(1, concurrency)
        self.defaultChannel = defaultChannel
        self.lease = lease
        self.pollInterval = min(pollInterval, ItemEngine.wakeHorizon)
        self.retryDelay = retryDelay
        self.maxRetryDelay = maxRetryDelay
    }
}

/// What a worker did.
public struct WorkerSummary: Sendable, Codable, CustomStringConvertible {
    public var delivered = 0
    public var retried = 0
    public var dead = 0
    public var timersFired = 0
    public var held = 0
    public var obsolete = 0

    public init() {}

    mutating func add(_ other: WorkerSummary) {
        delivered += other.delivered
        retried += other.retried
        dead += other.dead
        timersFired += other.timersFired
        held += other.held
        obsolete += other.obsolete
    }

    enum CodingKeys: String, CodingKey {
        case delivered, retried, dead, held, obsolete
        case timersFired = "timers_fired"
    }

    public var description: String {
        "delivered \(delivered), retried \(retried), dead \(dead), timers fired \(timersFired), held for working hours \(held)"
    }
}

/// Claims due tasks and carries them out: reminders and escalations are delivered, timers fire
/// their transition through the engine as `system`. Any number of workers, in any number of
/// processes, share one database: claims use `FOR UPDATE SKIP LOCKED` and leases.
public actor Worker {
    let queue: TaskQueue
    let engine: ItemEngine
    let pool: PostgresPool
    let options: WorkerOptions
    let time: any TimeSource
    let deliverer: Deliverer
    private let wakeup = Wakeup()
    private var stopping = false

    public init(
        pool: PostgresPool, options: WorkerOptions, time: any TimeSource, environment: [String: String], owner: String
    ) {
        self.pool = pool
        self.options = options
        self.time = time
        queue = TaskQueue(pool: pool, owner: owner, lease: options.lease)
        engine = ItemEngine(pool: pool, time: time)
        deliverer = Deliverer(environment: environment)
    }

    /// Processes everything due now, then returns (`podium worker --once`).
    public func runOnce() async throws -> WorkerSummary {
        var summary = WorkerSummary()
        try await queue.rescueExpiredLeases(now: time.now())
        while true {
            let batch = try await queue.claim(limit: options.concurrency, now: time.now())
            if batch.isEmpty { return summary }
            summary.add(try await process(batch))
        }
    }

    /// Runs until ``stop()``: claims in batches, sleeps until the next due time or a NOTIFY,
    /// rescues expired leases, and finishes what it holds before returning.
    public func run(configuration: PostgresConfiguration) async throws -> WorkerSummary {
        var summary = WorkerSummary()
        let listening = Task { [wakeup] in await Self.listen(configuration, wakeup: wakeup) }
        defer { listening.cancel() }
        var lastRescue = ContinuousClock.now - .seconds(3600)
        while !stopping {
            do {
                if ContinuousClock.now - lastRescue > options.lease / 2 {
                    try await queue.rescueExpiredLeases(now: time.now())
                    lastRescue = ContinuousClock.now
                }
                let batch = try await queue.claim(limit: options.concurrency, now: time.now())
                if !batch.isEmpty {
                    summary.add(try await process(batch))
                    continue
                }
                var sleep = options.pollInterval
                if let next = try await queue.nextDue() {
                    let seconds = max(0, next.timeIntervalSince(time.now()))
                    sleep = min(sleep, .milliseconds(Int(seconds * 1000) + 1))
                }
                await wakeup.wait(for: sleep)
            } catch let error as PostgresError where error.isConnectionLoss {
                // The pool reconnects with backoff; wait a moment and carry on.
                await wakeup.wait(for: .milliseconds(500))
            }
        }
        return summary
    }

    /// Asks a running worker to stop after the batch it holds.
    public func stop() async {
        stopping = true
        await wakeup.signal()
    }

    /// Wakes the loop on every NOTIFY; reconnects the listener when it breaks.
    private static func listen(_ configuration: PostgresConfiguration, wakeup: Wakeup) async {
        while !Task.isCancelled {
            do {
                let listener = try await PostgresListener.connect(configuration)
                try await listener.listen(ItemEngine.taskChannel)
                await wakeup.signal()  // work may have arrived while we were not listening
                for try await _ in listener.notifications { await wakeup.signal() }
            } catch {
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Carries out a claimed batch concurrently, renewing leases meanwhile; completions are
    /// recorded in one statement per batch.
    func process(_ batch: [ClaimedTask]) async throws -> WorkerSummary {
        let renewing = Task { [queue, time, options] in
            while !Task.isCancelled {
                try? await Task.sleep(for: options.lease / 3)
                guard !Task.isCancelled else { return }
                try? await queue.renew(batch.map(\.id), now: time.now())
            }
        }
        defer { renewing.cancel() }
        var summary = WorkerSummary()
        var done: [Int] = []
        try await withThrowingTaskGroup(of: (Int, TaskOutcome).self) { group in
            for task in batch {
                group.addTask { (task.id, try await self.perform(task)) }
            }
            for try await (id, outcome) in group {
                switch outcome {
                case .delivered(let count):
                    summary.delivered += count
                    done.append(id)
                case .timerFired: summary.timersFired += 1
                case .obsolete:
                    summary.obsolete += 1
                    done.append(id)
                case .held: summary.held += 1
                case .retried: summary.retried += 1
                case .dead: summary.dead += 1
                }
            }
        }
        try await queue.complete(done, now: time.now())
        return summary
    }

    enum TaskOutcome: Sendable {
        case delivered(Int), timerFired, obsolete, held, retried, dead
    }

    private func perform(_ task: ClaimedTask) async throws -> TaskOutcome {
        do {
            return task.kind == "timer" ? try await fireTimer(task) : try await deliver(task)
        } catch let error as PostgresError where error.isConnectionLoss {
            throw error  // the lease brings the task back; nothing to record on a dead connection
        } catch {
            return try await failed(task, "\(error)")
        }
    }

    private func fireTimer(_ task: ClaimedTask) async throws -> TaskOutcome {
        do {
            _ = try await engine.fire(
                item: task.itemID, transition: task.transition ?? "", actor: "system",
                idempotencyKey: task.idempotencyKey)
            try await queue.completeTimer(task.id, now: time.now())
            return .timerFired
        } catch let error as PodiumError where error.kind == .refused {
            return .obsolete  // the item moved on or closed before the timer ran
        }
    }

    private func deliver(_ task: ClaimedTask) async throws -> TaskOutcome {
        let context = try await MessageContext.load(task, engine: engine, pool: pool)
        guard let context else { return .obsolete }
        guard !context.recipients.isEmpty else {
            return try await failed(
                task, "nobody holds the role \(task.recipientRole ?? "?") on item \(task.itemID) or globally")
        }
        let now = time.now()
        let earlier = try await queue.alreadyDelivered(task)
        var delivered = 0
        var holdUntil: Date?
        var failures: [String] = []
        for recipient in context.recipients where !earlier.contains(recipient.handle) {
            let zone = TimeZone(identifier: recipient.timezone) ?? .gmt
            let hours = (try? WorkingHours(parsing: recipient.workingHours)) ?? .standard
            guard hours.isOpen(at: now, in: zone) else {
                let opening = hours.nextOpening(atOrAfter: now, in: zone)
                holdUntil = min(holdUntil ?? opening, opening)
                continue
            }
            let key = "\(task.idempotencyKey):\(recipient.handle)"
            let channel: DeliveryChannel
            do {
                channel = try recipient.channel.map { try DeliveryChannel(spec: $0) } ?? options.defaultChannel
            } catch {
                failures.append("\(recipient.handle): \(error)")
                continue
            }
            do {
                try await deliverer.deliver(context.message(for: recipient, key: key), on: channel)
                try await queue.recordDelivery(
                    task: task, recipient: recipient.handle, channel: channel.description, key: key, error: nil,
                    now: now)
                delivered += 1
            } catch {
                try await queue.recordDelivery(
                    task: task, recipient: recipient.handle, channel: channel.description, key: key, error: "\(error)",
                    now: now)
                failures.append("\(recipient.handle): \(error)")
            }
        }
        if !failures.isEmpty { return try await failed(task, failures.joined(separator: "; ")) }
        if let holdUntil {
            try await queue.hold(task.id, until: holdUntil)
            return delivered > 0 ? .delivered(delivered) : .held
        }
        return .delivered(delivered)
    }

    private func failed(_ task: ClaimedTask, _ error: String) async throws -> TaskOutcome {
        let base = Double(options.retryDelay.components.seconds) * pow(2, Double(max(0, task.attempts - 1)))
        let delay = min(base, Double(options.maxRetryDelay.components.seconds)) * Double.random(in: 0.8...1.2)
        let dead = try await queue.fail(
            task, error: error, retryAt: time.now().addingTimeInterval(delay), now: time.now())
        return dead ? .dead : .retried
    }
}
