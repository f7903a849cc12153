/// An error from PostgreSQL or from Podium's libpq wrapper.
///
/// The server's diagnostic fields (SQLSTATE, message, detail, hint, constraint) are kept as
/// properties. ``description`` deliberately leaves out `detail`, which often quotes row values
/// (`Key (handle)=(alice) already exists`), so logging an error does not leak data by accident.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// Where the error came from. An extensible set of codes rather than a closed enum.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// The connection could not be opened.
        public static let connectionFailed = Kind(name: "connection failed")
        /// The connection broke while in use: server restart, `pg_terminate_backend`, network loss.
        public static let connectionLost = Kind(name: "connection lost")
        /// The server rejected a statement; see ``PostgresError/sqlState``.
        public static let server = Kind(name: "server error")
        /// A value could not be encoded as a parameter.
        public static let encoding = Kind(name: "encoding error")
        /// A column could not be decoded into the requested Swift type.
        public static let decoding = Kind(name: "decoding error")
        /// The configuration (URL or conninfo string) is malformed.
        public static let configuration = Kind(name: "configuration error")
        /// No connection became free in time, or the pool was shut down.
        public static let pool = Kind(name: "pool error")
        /// libpq returned something the wrapper did not expect.
        public static let client = Kind(name: "client error")

        public var description: String { name }
    }

    /// Where the error came from.
    public var kind: Kind
    /// The primary, human-readable message.
    public var message: String
    /// The five-character SQLSTATE when the server sent one.
    public var sqlState: SQLState?
    /// The server's detail line; may contain row values, so it is not part of ``description``.
    public var detail: String?
    /// The server's hint, or the wrapper's advice on what to do next.
    public var hint: String?
    /// The constraint that was violated, if any.
    public var constraint: String?
    /// The table involved, if the server named one.
    public var table: String?
    /// The column involved, if the server named one.
    public var column: String?
    /// True when the connection broke while a COMMIT (or a statement that commits on its own)
    /// was in flight: it may or may not have committed, so it must not be blindly retried (use
    /// an idempotency key). A flag, set where the loss happened; the message stays libpq's.
    public var commitOutcomeUnknown = false

    /// Creates an error. Most code receives these rather than making them.
    public init(
        kind: Kind, message: String, sqlState: SQLState? = nil, detail: String? = nil,
        hint: String? = nil, constraint: String? = nil, table: String? = nil, column: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.table = table
        self.column = column
    }

    public var description: String {
        var text = "\(kind): \(commitOutcomeUnknown ? "COMMIT outcome unknown: " : "")\(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState.code))" }
        if let hint { text += "; hint: \(hint)" }
        return text
    }

    /// A unique or primary-key constraint rejected a row (23505).
    public var isUniqueViolation: Bool { sqlState == .uniqueViolation }
    /// A serializable transaction lost a race (40001); retrying the whole transaction is safe.
    public var isSerializationFailure: Bool { sqlState == .serializationFailure }
    /// The server broke a deadlock by aborting this transaction (40P01); retrying is safe.
    public var isDeadlock: Bool { sqlState == .deadlockDetected }
    /// The connection is gone; it must be replaced, and in-flight work may or may not have committed.
    public var isConnectionLoss: Bool {
        kind == .connectionLost || kind == .connectionFailed || (sqlState?.isConnectionLoss ?? false)
    }
}

/// A PostgreSQL SQLSTATE code such as `23505`.
public struct SQLState: Hashable, Sendable, CustomStringConvertible {
    /// The five-character code.
    public let code: String

    /// Wraps a five-character SQLSTATE code.
    public init(_ code: String) { self.code = code }

    public static let uniqueViolation = SQLState("23505")
    public static let foreignKeyViolation = SQLState("23503")
    public static let checkViolation = SQLState("23514")
    public static let notNullViolation = SQLState("23502")
    public static let serializationFailure = SQLState("40001")
    public static let deadlockDetected = SQLState("40P01")
    public static let adminShutdown = SQLState("57P01")
    public static let crashShutdown = SQLState("57P02")
    public static let cannotConnectNow = SQLState("57P03")
    public static let queryCanceled = SQLState("57014")
    public static let lockNotAvailable = SQLState("55P03")
    public static let undefinedTable = SQLState("42P01")
    public static let syntaxError = SQLState("42601")
    public static let readOnlySQLTransaction = SQLState("25006")
    public static let diskFull = SQLState("53100")
    public static let insufficientPrivilege = SQLState("42501")
    /// Raised, among others, when a schema change invalidated a prepared statement's result type.
    public static let featureNotSupported = SQLState("0A000")
    /// A prepared statement the client named does not exist (say, after `DEALLOCATE ALL`).
    public static let invalidStatementName = SQLState("26000")
    public static let raiseException = SQLState("P0001")
    /// A prepared statement of that name exists already on this server session: behind a
    /// pooler in transaction mode, another client's session.
    public static let duplicatePreparedStatement = SQLState("42P05")
    /// The database named in the connection does not exist.
    public static let invalidCatalogName = SQLState("3D000")

    /// The two-character class, e.g. `08` for connection exceptions.
    public var errorClass: Substring { code.prefix(2) }

    /// Connection exceptions (class 08) and the server-shutdown codes.
    public var isConnectionLoss: Bool {
        errorClass == "08" || self == .adminShutdown || self == .crashShutdown || self == .cannotConnectNow
    }

    public var description: String { code }
}
