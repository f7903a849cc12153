public import Foundation
public import LibPQ
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
        /// A worker running `concurrency` tasks at once; `once` for `worker --once`, which gives
        /// up after 5 s, while a long-running worker retries with backoff and says so itself.
        case worker(concurrency: Int, once: Bool)
        /// `podium serve`: an HTTP server answering up to `connections` requests against the
        /// database at once (more wait for a connection); it starts while the database is away
        /// and says so on `/readyz`.
        case server(connections: Int)

        /// The door history entries written by this process say they came through.
        public var door: Door {
            switch self {
            case .command: .cli
            case .worker: .worker
            case .server: .api
            }
        }
    }

    /// Where to connect (DATABASE_URL, the PG* variables, or the local cluster).
    public let configuration: PostgresConfiguration
    /// One line for stderr when the local cluster was chosen by default, or nil.
    public let notice: String?
    /// The process's one pool.
    public let pool: PostgresPool
    /// The clock: `PODIUM_NOW` (an RFC 3339 time, for demos and tests) or the system's.
    public let clock: any TimeSource
    /// The door this process is: what its history entries record as `via`.
    public let door: Door

    private init(
        configuration: PostgresConfiguration, notice: String?, pool: PostgresPool, clock: any TimeSource, door: Door
    ) {
        self.configuration = configuration
        self.notice = notice
        self.pool = pool
        self.clock = clock
        self.door = door
        engine = ItemEngine(pool: pool, time: clock, door: door)
    }

    /// Opens the services for `purpose` from `environment`, looking for the local cluster from
    /// `currentDirectory` upwards.
    ///
    /// - Throws: ``PodiumError`` `.usage` for an unreadable `PODIUM_NOW`, `.database` when no
    ///   database is configured or (for commands) it cannot be reached.
    public static func open(
        for purpose: Purpose, environment: [String: String], currentDirectory: URL
    ) async throws -> PodiumServices {
        let clock = try Self.clock(environment)
        let choice = try DatabaseLocator.resolve(environment: environment, currentDirectory: currentDirectory)
        let options: PostgresPool.Options
        switch purpose {
        case .command:
            options = .init(maxConnections: 2, acquireTimeout: .seconds(10), reconnectFor: .seconds(3))
        case .worker(let concurrency, let once):
            options = .init(
                maxConnections: min(concurrency, 16) + 1, reconnectFor: .seconds(once ? 5 : 2),
                applicationName: "podium-worker")
        case .server(let connections):
            options = .init(
                maxConnections: connections, acquireTimeout: .seconds(5), reconnectFor: .seconds(2),
                applicationName: "podium-serve")
        }
        let pool = PostgresPool(configuration: choice.configuration, options: options)
        if case .command = purpose {
            // Commands find out at once that the database is away, with the connection's own words.
            do {
                try await pool.execute("select 1")
            } catch let error as PostgresError {
                throw PodiumError(error, while: "connect to PostgreSQL")
            }
        }
        return PodiumServices(
            configuration: choice.configuration, notice: choice.notice, pool: pool, clock: clock, door: purpose.door)
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
