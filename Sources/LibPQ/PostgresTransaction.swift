/// How a transaction isolates itself from concurrent ones.
public enum PostgresIsolationLevel: String, Sendable {
    case readCommitted = "read committed"
    case repeatableRead = "repeatable read"
    case serializable = "serializable"
}

/// When to run a transaction again after it failed in a way that rolled everything back.
public struct TransactionRetryPolicy: Sendable {
    /// How many times the body may run in total.
    public var maxAttempts: Int
    /// Retry after a serialization failure (40001) or a deadlock (40P01).
    public var onConflicts: Bool
    /// Retry on a new connection when the old one broke before COMMIT was sent (pools only).
    public var onConnectionLoss: Bool
    /// The first pause between attempts; it doubles each time, with jitter.
    public var initialDelay: Duration

    /// Creates a policy.
    public init(maxAttempts: Int, onConflicts: Bool, onConnectionLoss: Bool, initialDelay: Duration = .milliseconds(5))
    {
        self.maxAttempts = max(1, maxAttempts)
        self.onConflicts = onConflicts
        self.onConnectionLoss = onConnectionLoss
        self.initialDelay = initialDelay
    }

    /// Run once; never retry.
    public static let never = TransactionRetryPolicy(maxAttempts: 1, onConflicts: false, onConnectionLoss: false)
    /// Retry serialization failures and deadlocks up to 5 attempts.
    public static let onConflicts = TransactionRetryPolicy(maxAttempts: 5, onConflicts: true, onConnectionLoss: false)
    /// Retry conflicts and connections lost before COMMIT, up to 5 attempts.
    public static let resilient = TransactionRetryPolicy(maxAttempts: 5, onConflicts: true, onConnectionLoss: true)

    func shouldRetry(_ error: any Error, attempt: Int) -> Bool {
        guard attempt < maxAttempts, let error = error as? PostgresError else { return false }
        if onConflicts && (error.isSerializationFailure || error.isDeadlock) { return true }
        return onConnectionLoss && error.isConnectionLoss && !error.commitOutcomeUnknown
    }

    func delay(beforeAttempt attempt: Int) -> Duration {
        let base = initialDelay * (1 << min(attempt - 1, 10))
        return base + base * Double.random(in: 0...0.5)
    }

    /// Runs `body`, again after each failure this policy retries, pausing with backoff.
    func run<T>(
        isolation callerIsolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch  where shouldRetry(error, attempt: attempt) {
                try await Task.sleep(for: delay(beforeAttempt: attempt))
                attempt += 1
            }
        }
    }
}

extension PostgresConnection {
    /// Runs `body` inside `BEGIN` ... `COMMIT`; a throw rolls everything back.
    ///
    /// With `retry`, a body that failed on a serialization failure or deadlock runs again from
    /// the start in a new transaction, so it must not have side effects outside the database.
    /// A COMMIT that the server turned into a rollback (an earlier statement failed and the
    /// body swallowed the error) throws instead of returning as if it had committed.
    public func transaction<T>(
        isolation callerIsolation: isolated (any Actor)? = #isolation,
        level: PostgresIsolationLevel = .readCommitted,
        retry: TransactionRetryPolicy = .never,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        // On one connection only conflicts can be retried: a lost connection stays lost.
        var policy = retry
        policy.onConnectionLoss = false
        return try await policy.run { try await transactionOnce(level: level, body) }
    }

    /// Runs `body` in one hop onto this connection's queue, where its statements are plain
    /// synchronous calls (each `await` on a connection is a hop there and back: two thread
    /// wake-ups). There is no transaction around it: each statement commits on its own. For a
    /// read followed by one conditional write (a version check), which needs two round trips where
    /// a transaction needs four.
    public func inPlace<T: Sendable>(_ body: (isolated PostgresConnection) throws -> T) rethrows -> T {
        try body(self)
    }

    /// What a body run by ``runLeased(_:)`` left: its result, and whether the connection can
    /// go back to the pool.
    struct Lease<T: Sendable>: Sendable {
        let result: Result<T, any Error>
        let reusable: Bool
    }

    /// ``inPlace(_:)`` with the pool's checks before and after, in the same hop: nil, with
    /// nothing run, when the idle connection turns out to be dead.
    func runLeased<T: Sendable>(_ body: (isolated PostgresConnection) throws -> T) -> Lease<T>? {
        guard isReusable() else { return nil }
        let result = Result { try body(self) }
        return Lease(result: result, reusable: settleForReuse())
    }

    /// True when the connection can go back to the pool once its lease ends. A transaction the
    /// body left open is rolled back first, rather than handed to someone else.
    func settleForReuse() -> Bool {
        if isReusable() { return true }
        guard isInTransaction else { return false }
        _ = try? execute("rollback")
        return isReusable()
    }

    /// Runs one statement outside any transaction block, so that it commits on its own, and
    /// returns its rows.
    ///
    /// A connection lost while the statement was in flight throws an error with
    /// ``PostgresError/commitOutcomeUnknown``, as a lost COMMIT does: the statement may have
    /// committed, so no retry policy runs it again.
    public func queryCommitting(_ statement: PostgresQuery) throws(PostgresError) -> PostgresRows {
        guard !isInTransaction else {
            throw PostgresError(
                kind: .client, message: "queryCommitting was called inside a transaction block",
                hint: "run the statement with query(_:) inside the transaction, or outside it")
        }
        return try queryWhoseLossLeavesOutcomeUnknown(statement)
    }

    /// Runs a statement that commits (COMMIT itself, or one outside a transaction block): a
    /// connection lost meanwhile is reported with ``PostgresError/commitOutcomeUnknown``.
    private func queryWhoseLossLeavesOutcomeUnknown(_ statement: PostgresQuery) throws(PostgresError)
        -> PostgresRows
    {
        do {
            return try query(statement)
        } catch  where error.isConnectionLoss {
            var unknown = error
            unknown.commitOutcomeUnknown = true
            throw unknown
        }
    }

    private static func begin(_ level: PostgresIsolationLevel) -> PostgresQuery {
        switch level {
        case .readCommitted: "begin"
        case .repeatableRead: "begin isolation level repeatable read"
        case .serializable: "begin isolation level serializable"
        }
    }

    func transactionOnce<T>(
        isolation callerIsolation: isolated (any Actor)? = #isolation,
        level: PostgresIsolationLevel,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await execute(Self.begin(level))
        let value: T
        do {
            value = try await body(self)
        } catch {
            await rollbackQuietly()
            throw error
        }
        try await commit()
        return value
    }

    private func commit() throws(PostgresError) {
        let rows = try queryWhoseLossLeavesOutcomeUnknown("commit")
        if rows.commandTag == "ROLLBACK" {
            throw PostgresError(
                kind: .client,
                message: "the transaction was rolled back at COMMIT because a statement in it had failed",
                hint: "do not swallow errors inside a transaction; let them propagate")
        }
    }

    private func rollbackQuietly() {
        guard isInTransaction else { return }
        _ = try? execute("rollback")
    }
}
