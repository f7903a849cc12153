import Foundation
public import LibPQ
public import Logging
public import PodiumCore
import Synchronization
internal import WorkflowEngine

/// How a worker behaves.
public struct WorkerOptions: Sendable {
    /// Tasks processed at once, taken in two rounds of half as many (see `drain`).
    public var concurrency: Int
    /// The channel for actors without one of their own.
    public var defaultChannel: DeliveryChannel
    /// How long a lease lasts (timers, one-at-a-time channels, holds, retries); a crashed
    /// worker's leased tasks return to the queue after it. Tasks finished inside a round need none.
    public var lease: Duration
    /// The longest sleep between looks at the queue (NOTIFY is a hint; this poll is the guarantee).
    /// At most ``ItemEngine/wakeHorizon``: the engine only NOTIFYs for tasks due sooner than that.
    public var pollInterval: Duration
    /// The first retry delay; doubles per attempt, with jitter, up to `maxRetryDelay`.
    public var retryDelay: Duration
    public var maxRetryDelay: Duration
    /// Makes the signed link to act and the item's page that each message carries; nil when no
    /// public URL or secret is configured (messages then carry the CLI line alone).
    public var links: LinkMaker?
    /// Who emails come from (`PODIUM_MAIL_FROM`): `Podium <podium@example.com>`.
    public var mailFrom: String
    /// The sender used when none is configured.
    public static let defaultMailFrom = "Podium <podium@localhost>"

    /// The sender `environment` configures (`PODIUM_MAIL_FROM`), or ``defaultMailFrom``.
    public static func mailFrom(_ environment: [String: String]) -> String {
        environment["PODIUM_MAIL_FROM"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultMailFrom
    }

    public init(
        concurrency: Int = 8, defaultChannel: DeliveryChannel = .log, lease: Duration = .seconds(60),
        pollInterval: Duration = .seconds(5), retryDelay: Duration = .seconds(30),
        maxRetryDelay: Duration = .seconds(3600), links: LinkMaker? = nil, mailFrom: String = defaultMailFrom
    ) {
        self.links = links
        self.mailFrom = mailFrom
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
    /// Outbound events posted to webhooks.
    public var eventsDelivered = 0

    public init() {}

    mutating func add(_ other: WorkerSummary) {
        eventsDelivered += other.eventsDelivered
        delivered += other.delivered
        retried += other.retried
        dead += other.dead
        timersFired += other.timersFired
        held += other.held
        obsolete += other.obsolete
    }

    mutating func count(_ outcome: Worker.TaskOutcome) {
        switch outcome {
        case .delivered(let messages): delivered += messages
        case .timerFired: timersFired += 1
        case .obsolete: obsolete += 1
        case .held: held += 1
        case .retried: retried += 1
        case .dead: dead += 1
        }
    }

    enum CodingKeys: String, CodingKey {
        case delivered, retried, dead, held, obsolete
        case timersFired = "timers_fired"
        case eventsDelivered = "events_delivered"
    }

    public var description: String {
        "delivered \(delivered), retried \(retried), dead \(dead), timers fired \(timersFired), held \(held), events delivered \(eventsDelivered)"
    }
}

/// Claims due tasks and carries them out: reminders and escalations are delivered, timers fire
/// their transition through the engine as `system`. Any number of workers, in any number of
/// processes, share one database: claims use `FOR UPDATE SKIP LOCKED` and leases.
public actor Worker {
    let queue: TaskQueue
    /// Outbound events for webhooks, delivered after each drain of tasks.
    let outbox: EventOutbox
    let engine: ItemEngine
    /// Folds the flow report's figures beside the drains (``Reports/foldFlowFigures(batches:)``).
    let reports: Reports
    let pool: PostgresPool
    let options: WorkerOptions
    let time: any TimeSource
    let deliverer: Deliverer
    /// Where the worker says what goes wrong while it runs: failed attempts to reach the
    /// database (with the backoff it takes), lease renewals that failed, a broken listener,
    /// deliveries that failed. Never a password or a webhook secret: LibPQ's errors hide the
    /// first, and the second is never in a message.
    let logger: Logger
    private nonisolated let wakeup = Wakeup()
    /// Set by ``stop()`` from any thread, read without a hop onto the actor: a stop request must
    /// not wait behind the (higher-priority) jobs of a busy drain.
    private let stopRequest = StopRequest()

    public init(
        pool: PostgresPool, options: WorkerOptions, time: any TimeSource, environment: [String: String], owner: String,
        logger: Logger = Logger(label: "podium.worker")
    ) {
        var logger = logger
        logger[metadataKey: "worker"] = "\(owner)"
        self.logger = logger
        self.pool = pool
        self.options = options
        self.time = StoredPrecisionTime(time)
        queue = TaskQueue(pool: pool, owner: owner, lease: options.lease)
        outbox = EventOutbox(pool: pool, owner: owner, lease: options.lease)
        engine = ItemEngine(pool: pool, time: self.time, door: .worker)
        reports = Reports(pool: pool, time: self.time)
        deliverer = Deliverer(environment: environment)
    }

    /// Processes everything due now, then returns (`podium worker --once`).
    public func runOnce() async throws -> WorkerSummary {
        try await queue.rescueExpiredLeases(now: time.now())
        return try await drain()
    }

    /// Claims and processes until nothing is due, in two lanes of half the concurrency each: while
    /// one lane waits on the database (claiming, recording), the other delivers, so a backlog
    /// drains nearly twice as fast as with one batch at a time (measured in BENCHMARKS.md).
    private func drain() async throws -> WorkerSummary {
        let lanes = min(2, options.concurrency)
        let batchSize = (options.concurrency + lanes - 1) / lanes
        return try await withThrowingTaskGroup(of: WorkerSummary.self) { group in
            for _ in 0..<lanes {
                group.addTask {
                    var summary = WorkerSummary()
                    while !self.stopRequest.isSet {
                        let clock = ContinuousClock()
                        let claimStart = clock.now
                        guard let round = try await self.claimRound(limit: batchSize) else { break }
                        WorkerMetrics.claimRound(clock.now - claimStart)
                        summary.add(round.summary)
                        if !round.leased.isEmpty {
                            let batchStart = clock.now
                            summary.add(try await self.process(round.leased))
                            WorkerMetrics.batch(clock.now - batchStart)
                        }
                    }
                    return summary
                }
            }
            var total = WorkerSummary()
            for try await summary in group { total.add(summary) }
            total.add(try await drainEvents())
            return total
        }
    }

    /// Delivers due outbound events until none is left: each batch leased, posted concurrently
    /// (signed like the webhook channel), then marked done, or put back with backoff, or given up
    /// after its last attempt.
    private func drainEvents() async throws -> WorkerSummary {
        var summary = WorkerSummary()
        while !stopRequest.isSet {
            let events = try await outbox.claim(limit: options.concurrency, now: time.now())
            guard !events.isEmpty else { break }
            let errors = await withTaskGroup(of: (Int, String?).self) { group in
                for (index, event) in events.enumerated() {
                    group.addTask { [deliverer] in
                        do {
                            try await deliverer.deliver(event.payload, on: .webhook(event.url))
                            return (index, nil)
                        } catch {
                            return (index, "\(error)")
                        }
                    }
                }
                var errors = [String?](repeating: nil, count: events.count)
                for await (index, error) in group { errors[index] = error }
                return errors
            }
            let delivered = zip(events, errors).filter { $0.1 == nil }.map(\.0.id)
            try await outbox.finish(delivered, now: time.now())
            summary.eventsDelivered += delivered.count
            for (event, error) in zip(events, errors) {
                WorkerMetrics.event(failed: error != nil)
                guard let error else { continue }
                let dead = try await outbox.fail(
                    event, error: error,
                    retryAt: time.now().addingTimeInterval(retryDelay(afterAttempts: event.attempts)),
                    now: time.now())
                logger.log(
                    level: dead ? .error : .warning,
                    dead ? "event is dead after its last attempt" : "event failed; retrying",
                    metadata: ["event": "\(event.id)", "attempt": "\(event.attempts)", "error": "\(error)"])
            }
        }
        return summary
    }

    /// One transaction that locks up to `limit` due tasks. Reminders and escalations whose every
    /// message goes to a file or log channel are delivered and recorded inside it, so each costs
    /// one row update instead of a lease and a release (BENCHMARKS.md); obsolete ones are
    /// cancelled. Everything else (timers, one-at-a-time channels, working-hours holds, failures
    /// to retry) is leased in the same transaction and handed back for ``process(_:)`` after
    /// COMMIT. Nil when nothing is due.
    ///
    /// A worker that dies mid-round rolls the transaction back: its tasks are due again at once,
    /// and messages it had written are written again with the same idempotency keys.
    private func claimRound(limit: Int) async throws -> (summary: WorkerSummary, leased: [ClaimedTask])? {
        try await pool.transaction { db in
            let now = time.now()
            let locked = try await queue.lockDue(limit: limit, now: now, on: db)
            guard !locked.isEmpty else { return nil }
            let reminders = locked.filter { $0.kind == .reminder || $0.kind == .escalation }
            let contexts = try await engine.reminderContexts(
                taskIDs: reminders.map(\.id), reached: reminders.filter { $0.attempts > 1 }.map(\.id), at: now, on: db)
            let plan = plan(reminders, contexts: contexts, now: now)
            let messages = Dictionary(grouping: plan.messages) { $0.task.id }
            var local = Set(
                reminders.map(\.id).filter { id in
                    contexts[id] != nil && plan.problems[id] == nil && plan.holds[id] == nil
                        && (messages[id] ?? []).allSatisfy { Deliverer.writesInBatches($0.channel) }
                })
            let sent = plan.messages.filter { local.contains($0.task.id) }
            let errors = await send(sent)
            for (message, error) in zip(sent, errors) where error != nil { local.remove(message.task.id) }
            // Every message that went out is recorded, also those of a task leased below because
            // another of its messages failed: the lease path then skips the recipients reached.
            let delivered = zip(sent, errors).filter { $0.1 == nil }.map(\.0)
            try await queue.finishLocked(
                deliveries: delivered.map { $0.record(error: nil) },
                diverted: plan.digests.filter { local.contains($0.taskID) }, done: Array(local),
                obsolete: plan.obsolete, now: now, on: db)
            let obsolete = Set(plan.obsolete)
            let leased = locked.filter { !local.contains($0.id) && !obsolete.contains($0.id) }
            try await queue.lease(leased.map(\.id), now: now, on: db)
            var summary = WorkerSummary()
            summary.delivered = delivered.count
            summary.obsolete = plan.obsolete.count
            return (summary, leased)
        }
    }

    /// Runs until ``stop()``: claims in batches, sleeps until the next due time or a NOTIFY
    /// (LISTENing on `listen`; with nil it polls every ``WorkerOptions/pollInterval``, and says
    /// so), rescues expired leases, and finishes what it holds before returning.
    ///
    /// - Throws: a `PostgresError` that waiting cannot cure (``PostgresError/isMisconfiguration``:
    ///   a refused password, an unknown database, missing rights); an unreachable database or
    ///   one not migrated yet (a rollout whose migration job has not finished) is waited out,
    ///   with a line for each attempt.
    public func run(listen: PostgresConfiguration?) async throws -> WorkerSummary {
        var summary = WorkerSummary()
        let listening = Task { [wakeup, logger, options] in
            guard let listen else {
                let seconds = options.pollInterval.components.seconds
                logger.warning(
                    """
                    no session connection to LISTEN on: PODIUM_PREPARED_STATEMENTS=off says a pooler in transaction \
                    mode is in between, and PODIUM_LISTEN_URL is not set; new work is found by polling every \(seconds) s
                    """)
                return
            }
            await Self.listen(listen, wakeup: wakeup, logger: logger)
        }
        defer { listening.cancel() }
        // The flow report's figures are folded beside the drains, never in their way: a backlog
        // (after an upgrade, millions of visits) would otherwise hold up every reminder behind it.
        let folding = Task { [reports, logger] in await Self.foldFlowFigures(reports, logger: logger) }
        defer { folding.cancel() }  // on a throw; a normal stop also waits for it, below
        var outageStart: ContinuousClock.Instant?
        var lastRescue = ContinuousClock.now - .seconds(3600)
        var failures = 0
        while !stopRequest.isSet {
            do {
                if failures > 0 {
                    // Back: say so now, before the backlog that built up meanwhile is drained.
                    _ = try await queue.nextDue()
                    if let outageStart {
                        logger.notice(
                            "database reachable again",
                            metadata: [
                                "failed_attempts": "\(failures)",
                                "seconds_away": "\((ContinuousClock.now - outageStart).components.seconds)",
                            ])
                    }
                    failures = 0
                    outageStart = nil
                }
                if ContinuousClock.now - lastRescue > options.lease / 2 {
                    try await queue.rescueExpiredLeases(now: time.now())
                    lastRescue = ContinuousClock.now
                }
                // A drain returns once a claim comes back empty: nothing is due, so sleep next.
                summary.add(try await drain())
                var sleep = options.pollInterval
                if let next = try await queue.nextDue() {
                    let seconds = max(0, next.timeIntervalSince(time.now()))
                    sleep = min(sleep, .milliseconds(Int(seconds * 1000) + 1))
                }
                await wakeup.wait(for: sleep)
            } catch let error as PostgresError where error.isMisconfiguration {
                // Waiting cannot cure these; an operator must. Say so and stop, rather than
                // knock on the server's door forever.
                logger.error(
                    "the database refused this worker; stopping",
                    metadata: ["error": "\(error.message)", "sqlstate": "\(error.sqlState?.code ?? "")"])
                throw error
            } catch let error as PostgresError {
                outageStart = outageStart ?? ContinuousClock.now
                // Each failed attempt is said once, with the wait before the next: 1 s, doubling
                // to 30 s. A stop request ends the wait at once. Other database errors (a standby
                // after a failover, a statement timeout, a full disk) are waited out the same way
                // rather than ending the worker.
                failures += 1
                let delay = Self.backoff(afterFailures: failures)
                logger.warning(
                    error.isConnectionLoss
                        ? "cannot reach the database; next attempt in \(delay.components.seconds) s"
                        : "the database refused a round; next attempt in \(delay.components.seconds) s",
                    metadata: [
                        "error": "\(error.message)", "attempt": "\(failures)",
                        "sqlstate": "\(error.sqlState?.code ?? "")",
                    ])
                await wakeup.wait(for: delay)
            }
        }
        // A fold cut short rolls back; the pool is not shut down under one still running.
        folding.cancel()
        await folding.value
        return summary
    }

    /// How often a long-running worker folds the flow report's figures when there is no backlog.
    static let foldInterval: Duration = .seconds(300)

    /// Folds the flow report's figures (``Reports/foldFlowFigures(batches:)``) until cancelled:
    /// a batch at a time, back to back while a backlog lasts, else every ``foldInterval``. A
    /// failure is logged and tried again after the interval; the drains do not depend on it.
    private static func foldFlowFigures(_ reports: Reports, logger: Logger) async {
        while !Task.isCancelled {
            var backlog = false
            do {
                backlog = try await reports.foldFlowFigures(batches: 1) == Reports.flowFoldBatch
            } catch {
                if Task.isCancelled { return }
                logger.warning("folding the flow report's figures failed", metadata: ["error": "\(error)"])
            }
            if !backlog { try? await Task.sleep(for: foldInterval) }
        }
    }

    /// The wait after `failures` failed attempts in a row: 1 s, 2 s, 4 s, ... at most 30 s.
    static func backoff(afterFailures failures: Int) -> Duration {
        .seconds(min(30, 1 << min(5, max(0, failures - 1))))
    }

    /// Asks a running worker to stop after the batch it holds.
    public nonisolated func stop() async {
        stopRequest.set()
        await wakeup.signal()
    }

    /// Wakes the loop on every NOTIFY; reconnects the listener when it breaks.
    private static func listen(_ configuration: PostgresConfiguration, wakeup: Wakeup, logger: Logger) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let listener = try await PostgresListener.connect(configuration)
                try await listener.listen(ItemEngine.taskChannel)
                if failures == 0 {
                    logger.notice("listening for new work", metadata: ["channel": "\(ItemEngine.taskChannel)"])
                }
                failures = 0
                await wakeup.signal()  // work may have arrived while we were not listening
                for try await _ in listener.notifications { await wakeup.signal() }
            } catch {
                guard !Task.isCancelled else { return }
                // Without the listener the worker still polls; it only wakes later for new work.
                failures += 1
                let delay = backoff(afterFailures: failures)
                if let refused = error as? PostgresError, refused.isMisconfiguration {
                    logger.error(
                        "the listener's database refused this worker; polling instead",
                        metadata: ["error": "\(refused.message)"])
                    return
                }
                logger.info(
                    "listener lost; polling, next attempt in \(delay.components.seconds) s",
                    metadata: ["error": "\(error)", "attempt": "\(failures)"])
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Carries out a claimed batch, renewing leases meanwhile: timers fire concurrently through
    /// the engine; reminders and escalations are read, delivered and recorded batch-wise (one
    /// query for their context, one write per file channel, one statement for the records).
    func process(_ batch: [ClaimedTask]) async throws -> WorkerSummary {
        let renewing = Task { [queue, time, options, logger] in
            while !Task.isCancelled {
                try? await Task.sleep(for: options.lease / 3)
                guard !Task.isCancelled else { return }
                do {
                    try await queue.renew(batch.map(\.id), now: time.now())
                } catch {
                    // Not fatal: if the lease runs out, another worker takes the tasks over and
                    // the receivers drop the duplicate by its idempotency key.
                    logger.warning(
                        "could not renew leases", metadata: ["tasks": "\(batch.count)", "error": "\(error)"])
                }
            }
        }
        defer { renewing.cancel() }
        var summary = WorkerSummary()
        try await withThrowingTaskGroup(of: TaskOutcome.self) { group in
            for task in batch where task.kind == .timer {
                group.addTask { try await self.fireTimer(task) }
            }
            for task in batch where task.kind == .digest {
                group.addTask { try await self.sendDigest(task) }
            }
            for try await outcome in group { summary.count(outcome) }
        }
        let messages = batch.filter { $0.kind == .reminder || $0.kind == .escalation }
        if !messages.isEmpty { summary.add(try await deliver(messages)) }
        return summary
    }

    enum TaskOutcome: Sendable {
        case delivered(Int), timerFired, obsolete, held, retried, dead
    }

    /// Sends a person's daily digest: one message listing the open items whose reminders waited
    /// for it, grouped by program, each with its page; the entries are marked sent in the same
    /// statement that completes the task. Nothing left to list (every item moved on): done,
    /// without a message. A failed send is retried like any task.
    private func sendDigest(_ task: ClaimedTask) async throws -> TaskOutcome {
        do {
            let context = try await engine.digest(for: task.recipient ?? "")
            let now = time.now()
            // Paused or away, the digest waits too (a stand-in had their new reminders meanwhile).
            let away = try await AbsenceStore(pool: pool, time: time).current(of: context.person.handle)
                .first { $0.isActive(at: now) }
            if let until = [context.person.pausedUntil.flatMap { $0 > now ? $0 : nil }, away?.backAt]
                .compactMap({ $0 }).max()
            {
                try await queue.hold(task.id, until: until)
                return .held
            }
            guard !context.programs.isEmpty else {
                try await queue.finish(deliveries: [], digested: context.entryIDs, done: [task.id], now: now)
                return .obsolete
            }
            let channel =
                try context.person.channel.map { try DeliveryChannel(spec: $0) } ?? options.defaultChannel
            let digest = DigestMessage(
                context, key: "\(task.idempotencyKey):\(context.person.handle)", links: options.links, now: now)
            let planned = Planned(
                task: task, recipient: context.person.handle, channel: channel, key: digest.key,
                body: digest.body(for: channel, mailFrom: options.mailFrom))
            let error = await send([planned]).first ?? nil
            if let error {
                try await queue.finish(deliveries: [planned.record(error: error)], done: [], now: now)
                return try await failed(task, error)
            }
            try await queue.finish(
                deliveries: [planned.record(error: nil)], digested: context.entryIDs, done: [task.id], now: now)
            return .delivered(1)
        } catch let error as PostgresError where error.isConnectionLoss {
            throw error  // the lease brings the task back
        } catch {
            return try await failed(task, "\(error)")
        }
    }

    private func fireTimer(_ task: ClaimedTask) async throws -> TaskOutcome {
        do {
            _ = try await engine.fire(
                item: task.itemID ?? 0, transition: task.transition ?? "", actor: "system",
                idempotencyKey: task.idempotencyKey)
            try await queue.completeTimer(task.id, now: time.now())
            WorkerMetrics.timerFired()
            return .timerFired
        } catch let error as PodiumError where error.kind == .refused {
            try await queue.completeTimer(task.id, now: time.now())
            return .obsolete  // the item moved on or closed before the timer ran
        } catch let error as PostgresError where error.isConnectionLoss {
            throw error  // the lease brings the task back; nothing to record on a dead connection
        } catch {
            return try await failed(task, "\(error)")
        }
    }

    /// One message planned for one recipient of a task.
    private struct Planned {
        let task: ClaimedTask
        let recipient: String
        let channel: DeliveryChannel
        let key: String
        let body: Data

        func record(error: String?) -> DeliveryRecord {
            DeliveryRecord(
                taskID: task.id, attempt: task.attempts, channel: channel.description, recipient: recipient, key: key,
                error: error)
        }
    }

    /// What to send for a batch of reminders and escalations, and what stands in the way.
    private struct DeliveryPlan {
        var messages: [Planned] = []
        /// Per task, why it cannot be delivered now (retried with backoff).
        var problems: [Int: [String]] = [:]
        /// Per task, when its recipients' working hours open.
        var holds: [Int: Date] = [:]
        /// Reminders held for their recipients' daily digests instead of being sent now.
        var digests: [DigestDiversion] = []
        /// Tasks whose item closed or left the task's stage.
        var obsolete: [Int] = []
    }

    /// Plans the messages of `tasks`: one per recipient not reached before, at work now.
    private func plan(_ tasks: [ClaimedTask], contexts: [Int: ReminderContext], now: Date) -> DeliveryPlan {
        var plan = DeliveryPlan()
        // A round's recipients share a few time zones and working hours: each text is parsed once
        // per round (parsing per message was about 6% of a worker's CPU).
        var zones: [String: TimeZone] = [:]
        var workingHours: [String: WorkingHours] = [:]
        for task in tasks {
            guard let context = contexts[task.id] else {
                plan.obsolete.append(task.id)
                continue
            }
            guard !context.recipients.isEmpty else {
                plan.problems[task.id] = [
                    "nobody holds the role \(task.recipientRole ?? "?") on item \(task.itemID ?? 0) or globally"
                ]
                continue
            }
            for recipient in context.recipients where !recipient.alreadyDelivered {
                if let back = recipient.awayUntil {
                    // Away with nobody standing in: the message waits until they are back.
                    plan.holds[task.id] = min(plan.holds[task.id] ?? back, back)
                    continue
                }
                if let paused = recipient.pausedUntil, paused > now {
                    // They asked for quiet: everything waits until the pause ends.
                    plan.holds[task.id] = min(plan.holds[task.id] ?? paused, paused)
                    continue
                }
                let zone = zones.value(for: recipient.timezone) { (try? TimeZoneName.zone($0)) ?? .gmt }
                let hours = workingHours.value(for: recipient.workingHours) {
                    (try? WorkingHours(parsing: $0)) ?? .standard
                }
                if recipient.delivery == .digest, task.kind == .reminder {
                    // Escalations still come at once: the deadline has passed and someone else
                    // must step in, which a digest could put off by a day.
                    plan.digests.append(
                        DigestDiversion(
                            taskID: task.id, attempt: task.attempts, recipient: recipient.handle,
                            slot: DigestSchedule.next(
                                after: now, minutes: DigestSchedule.minutes(recipient.digestAt) ?? 510,
                                weekdays: hours.isAlways ? [] : hours.weekdays, in: zone)))
                    continue
                }
                if !hours.isOpen(at: now, in: zone) {
                    // Strictly later than now when closed, so a held task is not due again in
                    // this round (a worker with a fixed clock would otherwise claim it forever).
                    let opening = hours.nextOpening(atOrAfter: now, in: zone)
                    // A reminder that warns of a deadline is not held past the deadline: when
                    // the recipient's hours open only at or after it, the warning goes out now.
                    let warnsInTime =
                        task.kind == .reminder
                        && context.dueAt.map { task.runAt < $0 && now < $0 && opening >= $0 } == true
                    if !warnsInTime {
                        plan.holds[task.id] = min(plan.holds[task.id] ?? opening, opening)
                        continue
                    }
                }
                do {
                    let channel = try recipient.channel.map { try DeliveryChannel(spec: $0) } ?? options.defaultChannel
                    plan.messages.append(
                        Planned(
                            task: task, recipient: recipient.handle, channel: channel,
                            key: Message.key(task, recipient),
                            body: Message(
                                task: task, context: context, recipient: recipient, links: options.links, now: now
                            ).body(for: channel, mailFrom: options.mailFrom)))
                } catch {
                    plan.problems[task.id, default: []].append("\(recipient.handle): \(error)")
                }
            }
        }
        return plan
    }

    /// Delivers the leased reminders and escalations of a batch and records the outcome of each.
    private func deliver(_ tasks: [ClaimedTask]) async throws -> WorkerSummary {
        // A leased task may have reached some recipients in its round, or in an earlier attempt.
        let now = time.now()
        let contexts = try await engine.reminderContexts(taskIDs: tasks.map(\.id), reached: tasks.map(\.id), at: now)
        var plan = plan(tasks, contexts: contexts, now: now)
        var summary = WorkerSummary()
        summary.obsolete = plan.obsolete.count
        let errors = await send(plan.messages)
        var delivered: [Int: Int] = [:]
        for (message, error) in zip(plan.messages, errors) {
            if let error {
                plan.problems[message.task.id, default: []].append("\(message.recipient): \(error)")
            } else {
                delivered[message.task.id, default: 0] += 1
            }
        }
        var done: [Int] = []
        for task in tasks where contexts[task.id] != nil && plan.problems[task.id] == nil && plan.holds[task.id] == nil
        {
            done.append(task.id)
            summary.count(.delivered(delivered[task.id] ?? 0))
        }
        try await queue.finish(
            deliveries: zip(plan.messages, errors).map { message, error in message.record(error: error) },
            diverted: plan.digests, done: done, obsolete: plan.obsolete, now: now)
        for task in tasks {
            if let problem = plan.problems[task.id] {
                summary.count(try await failed(task, problem.joined(separator: "; ")))
            } else if let until = plan.holds[task.id] {
                try await queue.hold(task.id, until: until)
                summary.count(delivered[task.id].map { .delivered($0) } ?? .held)
            }
        }
        return summary
    }

    /// Sends the planned messages: file and log channels in one write per channel, the others
    /// concurrently, one message each. Returns each message's error, nil when delivered.
    private func send(_ planned: [Planned]) async -> [String?] {
        var errors = [String?](repeating: nil, count: planned.count)
        let batches = Dictionary(grouping: planned.indices.filter { Deliverer.writesInBatches(planned[$0].channel) }) {
            planned[$0].channel.description
        }
        for indices in batches.values {
            do {
                try await deliverer.deliverBatch(indices.map { planned[$0].body }, on: planned[indices[0]].channel)
            } catch {
                for index in indices { errors[index] = "\(error)" }
            }
        }
        await withTaskGroup(of: (Int, String?).self) { group in
            for index in planned.indices where !Deliverer.writesInBatches(planned[index].channel) {
                let message = planned[index]
                group.addTask { [deliverer] in
                    do {
                        try await deliverer.deliver(message.body, on: message.channel)
                        return (index, nil)
                    } catch {
                        return (index, "\(error)")
                    }
                }
            }
            for await (index, error) in group { errors[index] = error }
        }
        for (message, error) in zip(planned, errors) {
            WorkerMetrics.message(on: message.channel, failed: error != nil)
        }
        return errors
    }

    /// Seconds before the next attempt after `attempts`: the retry delay doubled per attempt,
    /// capped, with ±20% jitter so retries of one failure spread out.
    private func retryDelay(afterAttempts attempts: Int) -> TimeInterval {
        let base = Double(options.retryDelay.components.seconds) * pow(2, Double(max(0, attempts - 1)))
        return min(base, Double(options.maxRetryDelay.components.seconds)) * Double.random(in: 0.8...1.2)
    }

    private func failed(_ task: ClaimedTask, _ error: String) async throws -> TaskOutcome {
        let dead = try await queue.fail(
            task, error: error, retryAt: time.now().addingTimeInterval(retryDelay(afterAttempts: task.attempts)),
            now: time.now())
        logger.log(
            level: dead ? .error : .warning, dead ? "task is dead after its last attempt" : "task failed; retrying",
            metadata: [
                "task_id": "\(task.id)", "item_id": "\(task.itemID.map(String.init) ?? "none")",
                "stage": "\(task.stage)",
                "kind": "\(task.kind)", "recipient": "\(task.recipient ?? "")",
                "attempt": "\(task.attempts)", "error": "\(error)",
            ])
        if dead { WorkerMetrics.dead(kind: task.kind.rawValue) }
        return dead ? .dead : .retried
    }
}

/// A one-way flag: once set, it stays set.
private final class StopRequest: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    func set() { value.store(true, ordering: .releasing) }
}

extension Dictionary {
    /// The value stored for `key`, made by `make` and stored the first time it is asked for.
    fileprivate mutating func value(for key: Key, make: (Key) -> Value) -> Value {
        if let value = self[key] { return value }
        let value = make(key)
        self[key] = value
        return value
    }
}
