/// A bounded pool of connections shared by many tasks.
///
/// Each task leases a connection for the length of a closure; at most `maxConnections` exist at
/// once and further tasks wait (up to `acquireTimeout`) in arrival order. A connection that the
/// server closed (restart, `pg_terminate_backend`) is noticed before it is handed out and replaced
/// by a new one; while the server is unreachable, opening retries with exponential backoff for up
/// to `reconnectFor`, so a worker rides out a restart instead of failing.
public actor PostgresPool {
    /// Limits and timings.
    public struct Options: Sendable {
        /// The most connections open at once.
        public var maxConnections: Int
        /// How long a task waits for a free connection before failing.
        public var acquireTimeout: Duration
        /// How long to keep retrying when the server cannot be reached.
        public var reconnectFor: Duration
        /// The first pause between connection attempts; doubles up to ``maxBackoff``.
        public var initialBackoff: Duration
        /// The longest pause between connection attempts.
        public var maxBackoff: Duration
        /// The `application_name` the server shows for these connections.
        public var applicationName: String
        /// Seconds one connection attempt may take to reach each host (libpq's
        /// `connect_timeout`, at least 2).
        public var connectTimeout: Int

        /// Creates options; the defaults suit a CLI or a worker.
        public init(
            maxConnections: Int = 8, acquireTimeout: Duration = .seconds(30), reconnectFor: Duration = .seconds(30),
            initialBackoff: Duration = .milliseconds(50), maxBackoff: Duration = .seconds(2),
            applicationName: String = "podium", connectTimeout: Int = 10
        ) {
            self.maxConnections = max(1, maxConnections)
            self.acquireTimeout = acquireTimeout
            self.reconnectFor = reconnectFor
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.applicationName = applicationName
            self.connectTimeout = max(2, connectTimeout)
        }
    }

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<PostgresConnection, any Error>
        let timeout: Task<Void, Never>
    }

    /// Where connections go.
    public nonisolated let configuration: PostgresConfiguration
    /// The pool's limits.
    public nonisolated let options: Options
    private var idle: [PostgresConnection] = []
    private var openCount = 0
    private var waiters: [Waiter] = []
    private var nextWaiterID = 0
    private var isShutDown = false

    /// Creates a pool; connections open lazily, on first use.
    public init(configuration: PostgresConfiguration, options: Options = Options()) {
        self.configuration = configuration
        self.options = options
    }

    /// How many connections are open (idle or leased).
    public var openConnections: Int { openCount }

    /// What the pool holds right now, for metrics.
    public struct Statistics: Sendable, Equatable {
        /// Connections open, idle or leased.
        public let open: Int
        /// Connections leased to a caller.
        public let inUse: Int
        /// Callers waiting for a connection.
        public let waiting: Int
    }

    /// The pool's connections and waiters at this moment.
    public var statistics: Statistics {
        Statistics(open: openCount, inUse: openCount - idle.count, waiting: waiters.count)
    }

    /// Leases a connection for the duration of `body`.
    public func withConnection<T>(
        isolation callerIsolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await lease()
        do {
            let value = try await body(connection)
            await giveBack(connection)
            return value
        } catch {
            await giveBack(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on a leased connection.
    ///
    /// With a `retry` policy that allows it, a transaction that lost its connection before
    /// COMMIT is run again on a fresh connection, and conflicts (40001, 40P01) are retried.
    public func transaction<T>(
        isolation callerIsolation: isolated (any Actor)? = #isolation,
        level: PostgresIsolationLevel = .readCommitted,
        retry: TransactionRetryPolicy = .never,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await retry.run {
            try await withConnection { connection in try await connection.transactionOnce(level: level, body) }
        }
    }

    /// Runs `body` on a leased connection's queue with no transaction around it (see
    /// ``PostgresConnection/inPlace(_:)``), with `retry` as in
    /// ``transaction(isolation:level:retry:_:)``: a body that lost its connection is run again on
    /// a fresh one unless the loss left a write's outcome unknown.
    public func withConnectionInPlace<T: Sendable>(
        isolation callerIsolation: isolated (any Actor)? = #isolation,
        retry: TransactionRetryPolicy = .never,
        _ body: @escaping @Sendable (isolated PostgresConnection) throws -> T
    ) async throws -> T {
        try await retry.run {
            // One hop onto the connection's queue checks that the idle connection is still
            // alive, runs the body and checks that it can be reused: a lease costs two thread
            // wake-ups instead of six (BENCHMARKS.md, "The client").
            while true {
                let connection = try await lease(checkingIdle: false)
                guard let lease = await connection.runLeased(body) else {
                    await discard(connection)
                    continue
                }
                await giveBack(connection, reusable: lease.reusable)
                return try lease.result.get()
            }
        }
    }

    /// Runs one query on a leased connection.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await withConnectionInPlace { try $0.query(query) }
    }

    /// Runs one statement on a leased connection and returns the rows it touched.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await withConnectionInPlace { try $0.execute(query) }
    }

    /// Closes idle connections, fails waiting tasks, and closes leased ones as they come back.
    public func shutdown() async {
        isShutDown = true
        let connections = idle
        idle.removeAll()
        openCount -= connections.count
        for connection in connections { await connection.close() }
        for waiter in waiters {
            waiter.timeout.cancel()
            waiter.continuation.resume(throwing: Self.shutDownError)
        }
        waiters.removeAll()
    }

    private static let shutDownError = PostgresError(
        kind: .pool, message: "the connection pool was shut down", hint: "create a new pool")

    /// A connection for one task: an idle one (checked for life here unless `checkingIdle` is
    /// false, when the caller checks it in its own hop), a new one, or the next one given back.
    private func lease(checkingIdle: Bool = true) async throws -> PostgresConnection {
        guard !isShutDown else { throw Self.shutDownError }
        while let connection = idle.popLast() {
            if !checkingIdle { return connection }
            if await connection.isReusable() { return connection }
            await discard(connection)
        }
        if openCount < options.maxConnections {
            openCount += 1
            do {
                return try await openWithBackoff()
            } catch {
                openCount -= 1
                throw error
            }
        }
        return try await waitForConnection()
    }

    private func waitForConnection() async throws -> PostgresConnection {
        let id = nextWaiterID
        nextWaiterID += 1
        let timeout = options.acquireTimeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    await self?.failWaiter(
                        id,
                        PostgresError(
                            kind: .pool,
                            message: "no database connection became free within \(timeout)",
                            hint: "raise maxConnections or find what holds connections for so long"))
                }
                waiters.append(Waiter(id: id, continuation: continuation, timeout: timer))
            }
        } onCancel: {
            Task { await self.failWaiter(id, CancellationError()) }
        }
    }

    private func failWaiter(_ id: Int, _ error: any Error) {
        guard let position = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: position)
        waiter.timeout.cancel()
        waiter.continuation.resume(throwing: error)
    }

    /// Closes a leased connection found dead before use; the caller leases another.
    private func discard(_ connection: PostgresConnection) async {
        await connection.close()
        openCount -= 1
    }

    private func giveBack(_ connection: PostgresConnection) async {
        await giveBack(connection, reusable: connection.settleForReuse())
    }

    /// Returns a connection to the idle list or to the first waiter; closes it unless `reusable`.
    private func giveBack(_ connection: PostgresConnection, reusable: Bool) async {
        guard reusable, !isShutDown else {
            await connection.close()
            openCount -= 1
            replaceForWaiter()
            return
        }
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            waiter.timeout.cancel()
            waiter.continuation.resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    /// A connection was dropped: if a task is waiting, open a replacement for it.
    private func replaceForWaiter() {
        guard !waiters.isEmpty, openCount < options.maxConnections else { return }
        let waiter = waiters.removeFirst()
        waiter.timeout.cancel()
        openCount += 1
        Task {
            do {
                waiter.continuation.resume(returning: try await openWithBackoff())
            } catch {
                openCount -= 1
                waiter.continuation.resume(throwing: error)
            }
        }
    }

    private func openWithBackoff() async throws -> PostgresConnection {
        let clock = ContinuousClock()
        let deadline = clock.now + options.reconnectFor
        var backoff = options.initialBackoff
        while true {
            let started = clock.now
            do {
                return try await PostgresConnection.connect(
                    configuration, applicationName: options.applicationName, connectTimeout: options.connectTimeout)
            } catch {
                // Refused at once (a restart): try again within the window. Timed out: another
                // attempt as slow would end past it, so give up now.
                let took = clock.now - started
                guard error.isTransientConnectFailure, clock.now + backoff + took < deadline else { throw error }
            }
            try await Task.sleep(for: backoff + backoff * Double.random(in: 0...0.25))
            backoff = min(backoff * 2, options.maxBackoff)
        }
    }
}

extension PostgresError {
    /// A connection attempt failed for a reason that waiting can cure: the server is down,
    /// starting, shutting down or in recovery. Wrong passwords and missing databases are final:
    /// a pool retries only transient failures, within its `reconnectFor` window.
    public var isTransientConnectFailure: Bool {
        guard kind == .connectionFailed else { return false }
        let transientMarkers = [
            "Connection refused", "No such file or directory", "is starting up", "is shutting down",
            "in recovery mode", "timeout expired", "closed the connection unexpectedly", "Connection reset",
            "could not receive data", "could not send data", "Network is unreachable", "too many clients",
            "remaining connection slots", "not yet accepting connections", "the database system is",
        ]
        return transientMarkers.contains { message.contains($0) }
    }

    /// The server refused who the client is or what it asked for: a wrong or missing password,
    /// an unknown role or database, no `pg_hba.conf` entry, no right to connect or to read a
    /// table, or named statements behind a pooler in transaction mode (one exists already, or
    /// the pooler's reset dropped ours). Waiting cures none of
    /// these; someone must change the configuration, so a long-running process should stop and
    /// say so rather than retry.
    public var isMisconfiguration: Bool {
        if let sqlState {
            return sqlState.errorClass == "28" || sqlState == .invalidCatalogName
                || sqlState == .insufficientPrivilege || sqlState == .duplicatePreparedStatement
                || sqlState == .invalidStatementName
        }
        guard kind == .connectionFailed else { return false }
        // A refused connection has no SQLSTATE in libpq's API, only the server's words (in
        // English unless its lc_messages says otherwise) or PgBouncer's.
        let refusals = [
            "authentication failed", "no password supplied", "no pg_hba.conf entry", "does not exist",
            "permission denied", "no such database", "no such user", "pg_hba.conf rejects",
            "is not permitted to log in",
        ]
        return refusals.contains { message.contains($0) }
    }
}
