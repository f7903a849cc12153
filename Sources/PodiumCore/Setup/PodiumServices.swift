public import Foundation
public import LibPQ
internal import Synchronization
internal import WorkflowEngine

/// Podium's composition root: where a process finds its database, opens one pool, reads its
/// clock, and makes the engine, stores and reports that share them. Built once per process, by
/// every command, the worker and (next) the HTTP server, so each door talks to the same parts
/// configured the same way.
public struct PodiumServices: Sendable {
    /// What the process is for; it sizes the pool and says how long to wait for the database.
    public enum Purpose: Sendable {
        /// One command: two connections; an unreachable database fails it within seconds.
        case command
        /// A command that only reads: like ``command``, but on the replica when `PODIUM_READ_URL`
        /// names one (falling back to the primary, with a notice, when the replica cannot be
        /// reached or lags more than `PODIUM_READ_MAX_LAG` seconds, 30 by default).
        case readOnlyCommand
        /// A worker running `concurrency` tasks at once; `once` for `worker --once`, which gives
        /// up on an unreachable database after `databaseWait`, while a long-running worker
        /// retries with backoff and says so itself.
        case worker(concurrency: Int, once: Bool, databaseWait: Duration = .seconds(10))
        /// `podium serve`: an HTTP server answering up to `connections` requests against the
        /// database at once (more wait for a connection); it starts while the database is away
        /// and says so on `/readyz`.
        case server(connections: Int)

        /// The door history entries written by this process say they came through.
        public var door: Door {
            switch self {
            case .command, .readOnlyCommand: .cli
            case .worker: .worker
            case .server: .api
            }
        }

        /// The pool's limits for this purpose.
        var poolOptions: PostgresPool.Options {
            switch self {
            case .command, .readOnlyCommand:
                .init(maxConnections: 2, acquireTimeout: .seconds(10), reconnectFor: .seconds(3))
            case .worker(let concurrency, let once, let wait):
                .init(
                    maxConnections: min(concurrency, 16) + 1, reconnectFor: once ? wait : .seconds(2),
                    applicationName: "podium-worker",
                    // --once: one attempt may not outlast the wait.
                    connectTimeout: once ? min(10, Int(wait.components.seconds)) : 10)
            case .server(let connections):
                .init(
                    maxConnections: connections, acquireTimeout: .seconds(5), reconnectFor: .seconds(2),
                    applicationName: "podium-serve")
            }
        }
    }

    /// Where this process's pool connects: the primary (DATABASE_URL, the PG* variables, or the
    /// local cluster), where every write goes, or for a read-only command the replica it reads.
    public let configuration: PostgresConfiguration
    /// One line for stderr when the local cluster was chosen by default (or a replica was
    /// passed over), or nil.
    public let notice: String?
    /// The process's one pool: the primary's, or for a read-only command the replica's.
    public let pool: PostgresPool
    /// Where the worker LISTENs for new work, or nil when it must poll (behind a transaction
    /// pooler with no `PODIUM_LISTEN_URL`).
    public let listen: PostgresConfiguration?
    /// Runs a read that may lag a little (the server's read endpoints) on the replica named by
    /// `PODIUM_READ_URL` while ``checkReplica()`` last found it within `PODIUM_READ_MAX_LAG`, else
    /// on these services. When the replica does not know what was asked for (an item created a
    /// moment ago: not found) or fails to answer, the read is made on the primary instead, and
    /// for a failure the replica is passed over until the next check finds it well.
    public func read<T>(_ body: (PodiumServices) async throws -> T) async throws -> T {
        guard let replica, replica.isUsable else { return try await body(self) }
        do {
            return try await body(replica.services)
        } catch let error as PodiumError where error.kind == .notFound {
            return try await body(self)
        } catch let error as PodiumError where error.kind == .database || error.kind == .misconfigured {
            replica.isUsable = false
            return try await body(self)
        } catch let error as PostgresError
            where error.isConnectionLoss || error.isMisconfiguration || error.kind == .pool
        {
            replica.isUsable = false
            return try await body(self)
        }
    }

    /// True while ``read(_:)`` goes to the replica.
    public var readsFromReplica: Bool { replica?.isUsable ?? false }

    /// Asks the replica (if there is one) how far behind it is, and from now on reads from it
    /// only when it answered within `PODIUM_READ_MAX_LAG`; nil when there is no replica.
    public func checkReplica() async -> ReplicaLag.Reading? {
        guard let replica else { return nil }
        let reading = await ReplicaLag.measure(on: replica.services.pool)
        replica.isUsable = reading.isWithin(replica.lagLimit)
        return reading
    }
    private let replica: ReplicaServices?
    /// The clock: `PODIUM_NOW` (an RFC 3339 time, for demos and tests) or the system's.
    public let clock: any TimeSource
    /// The door this process is: what its history entries record as `via`.
    public let door: Door

    private init(
        configuration: PostgresConfiguration, notice: String?, pool: PostgresPool, listen: PostgresConfiguration?,
        replica: ReplicaServices?, clock: any TimeSource, door: Door
    ) {
        self.configuration = configuration
        self.notice = notice
        self.pool = pool
        self.listen = listen
        self.replica = replica
        self.clock = clock
        self.door = door
        engine = ItemEngine(pool: pool, time: clock, door: door)
    }

    /// Opens the services for `purpose` from `environment`, looking for the local cluster from
    /// `currentDirectory` upwards.
    ///
    /// - Throws: ``PodiumError`` `.usage` for an unreadable `PODIUM_NOW` or setting, `.database`
    ///   when no database is configured or (for commands) it cannot be reached, `.misconfigured`
    ///   when it refuses the connection.
    public static func open(
        for purpose: Purpose, environment: [String: String], currentDirectory: URL
    ) async throws -> PodiumServices {
        let clock = try Self.clock(environment)
        let choice = try DatabaseLocator.resolve(environment: environment, currentDirectory: currentDirectory)
        let lagLimit = try ReplicaLag.limit(environment)
        let options = purpose.poolOptions
        var notice = choice.notice
        if case .readOnlyCommand = purpose, let read = choice.read {
            let replicaPool = PostgresPool(configuration: read, options: options)
            switch await ReplicaLag.measure(on: replicaPool) {
            case let reading where reading.isWithin(lagLimit):
                return PodiumServices(
                    configuration: read, notice: notice, pool: replicaPool, listen: nil, replica: nil, clock: clock,
                    door: purpose.door)
            case .seconds(let lag):
                notice =
                    "podium: the replica (PODIUM_READ_URL) is \(Int(lag)) s behind, more than "
                    + "PODIUM_READ_MAX_LAG=\(Int(lagLimit)); reading from the primary"
            case .unreachable(let reason):
                notice = "podium: cannot read from the replica (PODIUM_READ_URL): \(reason); reading from the primary"
            }
            await replicaPool.shutdown()
        }
        let pool = PostgresPool(configuration: choice.configuration, options: options)
        switch purpose {
        case .command, .readOnlyCommand:
            // Commands find out at once that the database is away, with the connection's own words.
            do {
                try await pool.execute("select 1")
            } catch let error as PostgresError {
                throw PodiumError(error, while: "connect to PostgreSQL", localCluster: choice.notice != nil)
            }
        case .server, .worker:
            break
        }
        var replica: ReplicaServices?
        if case .server = purpose, let read = choice.read {
            let services = PodiumServices(
                configuration: read, notice: nil, pool: PostgresPool(configuration: read, options: options),
                listen: nil, replica: nil, clock: clock, door: purpose.door)
            replica = ReplicaServices(services, lagLimit: lagLimit)
        }
        return PodiumServices(
            configuration: choice.configuration, notice: notice, pool: pool, listen: choice.listen,
            replica: replica, clock: clock, door: purpose.door)
    }

    /// `PODIUM_NOW` as a fixed clock, or the system clock.
    ///
    /// - Throws: ``PodiumError`` `.usage` when `PODIUM_NOW` is set but not a date.
    public static func clock(_ environment: [String: String]) throws -> any TimeSource {
        guard let fixed = environment["PODIUM_NOW"], !fixed.isEmpty else { return SystemTime() }
        guard let instant = DataDate.parse(fixed) else {
            throw PodiumError(
                .usage, "PODIUM_NOW=\(fixed) is not a date; write \(DataDate.acceptedForms)", reason: "date")
        }
        return FixedTime(instant)
    }

    /// The process's one item engine on this pool and clock: one, because it keeps the workflow
    /// definitions it has read (a new engine per request read the definition again each time, a
    /// third more round trips for every transition over HTTP).
    public let engine: ItemEngine
    /// Webhook subscriptions to history events.
    public var webhooks: WebhookStore { WebhookStore(pool: pool, time: clock) }
    /// Personal API tokens.
    public var tokens: TokenStore { TokenStore(pool: pool, time: clock) }
    /// People.
    public var actors: ActorStore { ActorStore(pool: pool, time: clock) }
    /// Absences and who stands in.
    public var absences: AbsenceStore { AbsenceStore(pool: pool, time: clock) }
    /// Workflow versions.
    public var workflows: WorkflowStore { WorkflowStore(pool: pool) }
    /// Business calendars.
    public var calendars: CalendarStore { engine.calendars }
    /// Flow and impact reports, engagement.
    public var reports: Reports { Reports(pool: pool, time: clock) }
    /// Items that need a person.
    public var stuck: StuckFinder { StuckFinder(pool: pool, time: clock) }
    /// Operators' fixes to tasks.
    public var tasks: TaskAdmin { TaskAdmin(pool: pool, time: clock, door: door) }
    /// The invariants `podium check` verifies.
    public var consistency: ConsistencyCheck { ConsistencyCheck(pool: pool) }
}

/// The services on a replica, and whether reads may go there now: boxed, so
/// ``PodiumServices`` (a value) can hold its reading twin and the flag ``checkReplica()`` flips.
final class ReplicaServices: Sendable {
    let services: PodiumServices
    /// `PODIUM_READ_MAX_LAG`, in seconds.
    let lagLimit: Double
    private let usable = Mutex(false)

    init(_ services: PodiumServices, lagLimit: Double) {
        self.services = services
        self.lagLimit = lagLimit
    }

    /// Whether the last check found the replica within ``lagLimit``; false until the first.
    var isUsable: Bool {
        get { usable.withLock { $0 } }
        set { usable.withLock { $0 = newValue } }
    }
}
