internal import CLibPQ
internal import Foundation

/// One connection to PostgreSQL through libpq.
///
/// ## Concurrency contract
/// libpq's calls block until the server answers. A `PostgresConnection` is an actor whose
/// executor is a private serial dispatch queue (see `BlockingQueueExecutor`): every libpq call
/// runs there, one at a time, on a libdispatch thread and never on a thread of Swift's cooperative
/// pool, so a slow query cannot freeze other tasks (measured: a 50 ms sleep still wakes in time
/// while connections sit in `pg_sleep`). The connection is `Sendable`, but a transaction belongs
/// to one task: share connections through ``PostgresPool``, which leases each to one task at a time.
///
/// Values always travel as bound parameters (``PostgresQuery``); results are read in text format
/// and decoded by ``PostgresRow/decode(_:_:)``. Each session runs with `TimeZone = 'UTC'` and
/// `DateStyle = 'ISO, YMD'`, which the decoders rely on.
public actor PostgresConnection {
    private let executor: BlockingQueueExecutor
    private var handle: OpaquePointer?
    /// The configuration this connection was opened with (its description hides the password).
    public nonisolated let configuration: PostgresConfiguration
    /// Set by libpq's notice callback, which runs inside libpq calls on this connection's queue.
    private let fatalNotice = FatalNoticeFlag()
    /// The statements prepared on this session.
    private var statements = StatementCache()
    /// The server process serving this connection (`pg_backend_pid()`).
    public private(set) var backendPID: Int32 = 0

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// The queue every call of this connection runs on.
    nonisolated var queue: DispatchQueue { executor.queue }

    /// The libpq handle, for the listener's socket reads on this connection's queue.
    var rawHandle: OpaquePointer? { handle }

    /// True once the server sent a FATAL message outside any query: it is closing the connection.
    var serverAnnouncedClose: Bool { fatalNotice.seen }

    private init(configuration: PostgresConfiguration) {
        self.configuration = configuration
        self.executor = BlockingQueueExecutor(label: "podium.libpq.connection")
    }

    isolated deinit {
        if let handle { PQfinish(handle) }
    }

    /// Opens a connection.
    ///
    /// - Parameters:
    ///   - connectTimeout: seconds one attempt may take to reach each host (libpq's
    ///     `connect_timeout`; it treats 1 as 2).
    /// - Throws: ``PostgresError`` of kind `.connectionFailed`, with libpq's reason and the
    ///   password scrubbed from it.
    public static func connect(
        _ configuration: PostgresConfiguration, applicationName: String = "podium", connectTimeout: Int = 10
    ) async throws(PostgresError) -> PostgresConnection {
        let connection = PostgresConnection(configuration: configuration)
        try await connection.open(applicationName: applicationName, connectTimeout: connectTimeout)
        return connection
    }

    private func open(applicationName: String, connectTimeout: Int) throws(PostgresError) {
        var parameters: [(String, String)] = [
            ("connect_timeout", String(connectTimeout)),
            ("fallback_application_name", applicationName),
            ("dbname", configuration.connectionString),
        ]
        parameters += configuration.overrides.map { ($0.keyword, $0.value) }
        let keywords = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let connection = (keywords + [nil]).map { UnsafePointer($0) }.withUnsafeBufferPointer { keywordBuffer in
            (values + [nil]).map { UnsafePointer($0) }.withUnsafeBufferPointer { valueBuffer in
                PQconnectdbParams(keywordBuffer.baseAddress, valueBuffer.baseAddress, 1)
            }
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let reason = connection.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            let address = connection.map(Self.serverAddress).flatMap { $0.host.isEmpty ? nil : $0 }
            let server = address?.description ?? "the server"
            let probe = address.map { " (pg_isready \($0.isReadyArguments))" } ?? ""
            PQfinish(connection)
            var error = PostgresError(
                kind: .connectionFailed, message: configuration.scrub(reason.trimmingTrailingNewlines()))
            error.hint =
                error.isMisconfiguration
                ? "the server at \(server) refused \(configuration): check the user, password and database there, "
                    + "and its pg_hba.conf"
                : "check that PostgreSQL is up at \(server)\(probe) and that "
                    + "\(configuration) is right"
            throw error
        }
        handle = connection
        backendPID = PQbackendPID(connection)
        // Server notices ("relation already exists, skipping") are not errors, and libpq would
        // print them on stderr. One kind matters: a FATAL message on an idle connection means the
        // server is closing it (pg_terminate_backend, shutdown), so remember it.
        PQsetNoticeReceiver(
            connection,
            { context, result in
                guard let context, let severity = PQresultErrorField(result, podium_diag_severity),
                    String(cString: severity) == "FATAL" || String(cString: severity) == "PANIC"
                else { return }
                Unmanaged<FatalNoticeFlag>.fromOpaque(context).takeUnretainedValue().seen = true
            }, Unmanaged.passUnretained(fatalNotice).toOpaque())
        // JIT compilation pays off only for long analytic queries; on short statements whose
        // estimate crosses jit_above_cost it costs about 250 ms each (BENCHMARKS.md).
        try run(
            TrustedSQLScript(
                shippedSQL: "set time zone 'UTC'; set datestyle = 'ISO, YMD'; set jit = off", origin: "session setup"))
    }

    /// Where a connection attempt went: `host:port`, or the unix socket folder and port.
    private static func serverAddress(_ connection: OpaquePointer) -> ServerAddress {
        ServerAddress(
            host: PQhost(connection).map { String(cString: $0) } ?? "localhost",
            port: PQport(connection).map { String(cString: $0) } ?? "5432")
    }

    /// Runs a query and returns its rows.
    ///
    /// Each distinct statement text is prepared once per connection (`PQprepare`) and then
    /// executed by name, so the server parses and plans it once rather than on every call; see
    /// ``StatementCache``. With ``PostgresConfiguration/usesNamedStatements`` off, each runs as
    /// one unnamed statement instead.
    @discardableResult
    public func query(_ query: PostgresQuery) throws(PostgresError) -> PostgresRows {
        let connection = try liveHandle()
        let bindings = query.bindings
        let texts = try bindings.map { binding throws(PostgresError) in try binding.text() }
        let types = bindings.map { Oid($0.type.oid) }
        let name = try preparedName(for: query.sql, types: types, on: connection)
        let values = texts.map { $0.map { strdup($0) } ?? nil }
        defer { values.forEach { free($0) } }
        let result = values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valueBuffer in
            if let name {
                return PQexecPrepared(connection, name, Int32(bindings.count), valueBuffer.baseAddress, nil, nil, 0)
            }
            return types.withUnsafeBufferPointer { typeBuffer in
                PQexecParams(
                    connection, query.sql, Int32(bindings.count), typeBuffer.baseAddress,
                    valueBuffer.baseAddress, nil, nil, 0)
            }
        }
        do {
            return try consume(result)
        } catch {
            // A schema change can invalidate a prepared statement ("cached plan must not change
            // result type"); forget it so the next call prepares it afresh.
            if let name, error.sqlState == .featureNotSupported || error.sqlState == .invalidStatementName {
                statements.forget(name)
            }
            throw error
        }
    }

    /// The name of the prepared statement for `sql`, preparing it on first use; nil when the
    /// configuration asks for no named statements or the cache is full, in which case the
    /// statement runs unprepared.
    private func preparedName(for sql: String, types: [Oid], on connection: OpaquePointer) throws(PostgresError)
        -> String?
    {
        guard configuration.usesNamedStatements else { return nil }
        let key = StatementCache.Key(sql: sql, types: types)
        if let name = statements.name(for: key) { return name }
        guard let name = statements.reserve(key) else { return nil }
        let result = types.withUnsafeBufferPointer { typeBuffer in
            PQprepare(connection, name, sql, Int32(types.count), typeBuffer.baseAddress)
        }
        do {
            _ = try consume(result)
        } catch {
            statements.forget(name)
            throw error
        }
        return name
    }

    /// Runs a statement and returns how many rows it touched.
    @discardableResult
    public func execute(_ query: PostgresQuery) throws(PostgresError) -> Int {
        try self.query(query).affectedRows
    }

    /// Runs a script of several statements (simple protocol, no parameters), such as a migration.
    public func run(_ script: TrustedSQLScript) throws(PostgresError) {
        let connection = try liveHandle()
        let result = PQexec(connection, script.text)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard result != nil, status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            // PQexec returns the last statement's result; an error stops the script where it occurs.
            var error = makeError(result)
            error.message = "\(script.origin): \(error.message)"
            throw error
        }
    }

    /// True when the connection is open and idle outside a transaction, so it can be reused.
    ///
    /// Reads whatever the server sent meanwhile without blocking: a connection the server has
    /// terminated (`pg_terminate_backend`, restart) is detected here, before anyone uses it.
    public func isReusable() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        // A terminated backend sends a FATAL message (a notice to libpq on an idle connection),
        // then closes the socket; either one marks the connection as gone.
        // PQconsumeInput only reads; PQisBusy parses what was read, which runs the notice receiver.
        guard PQconsumeInput(handle) == 1, PQisBusy(handle) == 0, PQstatus(handle) == CONNECTION_OK,
            !serverAnnouncedClose
        else { return false }
        return PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// True while the session is inside a transaction block.
    public var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// Closes the connection. Later calls fail with `.connectionLost`.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    private func liveHandle() throws(PostgresError) -> OpaquePointer {
        guard let handle else {
            throw PostgresError(kind: .connectionLost, message: "the connection is closed", hint: "open a new one")
        }
        return handle
    }

    private func consume(_ result: OpaquePointer?) throws(PostgresError) -> PostgresRows {
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK where result != nil:
            let count = String(cString: PQcmdTuples(result))
            return PostgresRows(
                columns: [], values: [], affectedRows: Int(count) ?? 0,
                commandTag: String(cString: PQcmdStatus(result)))
        case PGRES_TUPLES_OK where result != nil:
            return readRows(result!)
        default:
            throw makeError(result)
        }
    }

    private func readRows(_ result: OpaquePointer) -> PostgresRows {
        let columnCount = PQnfields(result)
        let rowCount = PQntuples(result)
        let columns = (0..<columnCount).map { position in
            PostgresRows.Column(
                name: String(cString: PQfname(result, position)),
                type: PostgresDataType(oid: UInt32(PQftype(result, position))))
        }
        var values: [[String?]] = []
        values.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            values.append(
                (0..<columnCount).map { column in
                    guard PQgetisnull(result, row, column) == 0, let bytes = PQgetvalue(result, row, column) else {
                        return nil
                    }
                    let length = Int(PQgetlength(result, row, column))
                    return String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
                })
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? Int(rowCount)
        return PostgresRows(
            columns: columns, values: values, affectedRows: affected, commandTag: String(cString: PQcmdStatus(result)))
    }

    private func makeError(_ result: OpaquePointer?) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let result, let value = PQresultErrorField(result, code) else { return nil }
            return String(cString: value)
        }
        let lost = handle.map { PQstatus($0) == CONNECTION_BAD } ?? true
        let fallback = handle.map { String(cString: PQerrorMessage($0)) } ?? "the connection is closed"
        let message = field(podium_diag_message_primary) ?? fallback.trimmingTrailingNewlines()
        let sqlState = field(podium_diag_sqlstate).map(SQLState.init)
        let isLost = lost || (sqlState?.isConnectionLoss ?? false)
        return PostgresError(
            kind: isLost ? .connectionLost : (sqlState == nil ? .client : .server),
            message: configuration.scrub(message.isEmpty ? "no result from the server" : message),
            sqlState: sqlState,
            detail: field(podium_diag_message_detail),
            hint: field(podium_diag_message_hint)
                ?? (isLost ? "the server closed the connection; open a new one (a pool does this for you)" : nil),
            constraint: field(podium_diag_constraint_name),
            table: field(podium_diag_table_name),
            column: field(podium_diag_column_name))
    }
}

/// The statements prepared on one session, by text and parameter types, under names with a
/// random 64-bit part. Bounded, so a program
/// that builds statement texts dynamically cannot grow the server's memory without limit: past
/// ``capacity`` distinct texts, statements run unprepared.
struct StatementCache {
    struct Key: Hashable {
        let sql: String
        let types: [Oid]
    }

    static let capacity = 500
    private var names: [Key: String] = [:]
    private var counter = 0
    /// A random part of every name, so a session this connection did not open (behind a pooler
    /// in transaction mode) never holds a statement of the same name with other SQL: it answers
    /// "does not exist" or "already exists" rather than running the wrong statement.
    private let prefix = "podium_\(String(UInt64.random(in: .min ... .max), radix: 16))_"

    func name(for key: Key) -> String? { names[key] }

    /// A fresh name for `key`, or nil when the cache is full.
    mutating func reserve(_ key: Key) -> String? {
        guard names.count < Self.capacity else { return nil }
        counter += 1
        let name = prefix + String(counter)
        names[key] = name
        return name
    }

    /// Forgets the statement called `name` (it failed to prepare, or the server invalidated it).
    mutating func forget(_ name: String) {
        names = names.filter { $0.value != name }
    }
}

/// The host (or unix socket folder) and port a connection attempt went to, for hints.
struct ServerAddress: CustomStringConvertible {
    let host: String
    let port: String

    var description: String {
        if host.hasPrefix("/") { return "\(host) port \(port)" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `pg_isready`'s arguments to check the same server.
    var isReadyArguments: String { "-h \(host) -p \(port)" }
}

/// Whether the server announced, outside any query, that it is closing the connection.
/// Only touched on the owning connection's queue (libpq calls the notice receiver synchronously).
private final class FatalNoticeFlag {
    var seen = false
}
