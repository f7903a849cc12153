public import Foundation
public import LibPQ

/// Decides which PostgreSQL a command talks to, and how.
///
/// In order: `DATABASE_URL`; libpq's own `PG*` variables; the project's local cluster, which
/// `scripts/local-postgres start` sets up in `.podium/pg/` and whose URL it writes to
/// `.podium/pg/url` (found from the current folder upwards). Three settings shape the rest:
/// `PODIUM_PREPARED_STATEMENTS` (`on`, the default, or `off` behind a pooler in transaction
/// mode), `PODIUM_LISTEN_URL` (a session connection for the worker's LISTEN) and
/// `PODIUM_READ_URL` (a replica for reads).
public enum DatabaseLocator {
    /// A chosen configuration and, when it was not set explicitly, a line saying which.
    public struct Choice: Sendable {
        /// Where to connect: every write, and every read when no replica is given.
        public let configuration: PostgresConfiguration
        /// One line for stderr when the local cluster was chosen by default.
        public let notice: String?
        /// Where the worker LISTENs for new work: `PODIUM_LISTEN_URL`, else ``configuration``;
        /// nil behind a transaction pooler with no `PODIUM_LISTEN_URL` (LISTEN needs a session
        /// of its own there, so the worker polls).
        public let listen: PostgresConfiguration?
        /// A replica for read-only work (`PODIUM_READ_URL`), or nil to read from ``configuration``.
        public let read: PostgresConfiguration?
    }

    /// The path of the URL file inside a project, relative to its root.
    public static let localURLFile = ".podium/pg/url"

    /// Resolves the database for a command.
    ///
    /// - Throws: ``PodiumError`` `.usage` for an unparsable URL or an unknown
    ///   `PODIUM_PREPARED_STATEMENTS` value; `.database` when no database is configured.
    public static func resolve(environment: [String: String], currentDirectory: URL) throws(PodiumError) -> Choice {
        let namedStatements = try usesNamedStatements(environment)
        var (primary, notice) = try locatePrimary(environment: environment, currentDirectory: currentDirectory)
        primary.usesNamedStatements = namedStatements
        let listen: PostgresConfiguration?
        if let url = try url(environment, "PODIUM_LISTEN_URL") {
            listen = url
        } else {
            listen = namedStatements ? primary : nil
        }
        var read = try url(environment, "PODIUM_READ_URL")
        read?.usesNamedStatements = namedStatements
        return Choice(configuration: primary, notice: notice, listen: listen, read: read)
    }

    /// `PODIUM_PREPARED_STATEMENTS`: `on` (the default) or `off`.
    private static func usesNamedStatements(_ environment: [String: String]) throws(PodiumError) -> Bool {
        switch environment["PODIUM_PREPARED_STATEMENTS"]?.lowercased() {
        case nil, "", "on": return true
        case "off": return false
        case let other?:
            throw PodiumError(
                .usage, "PODIUM_PREPARED_STATEMENTS=\(other) is neither on nor off",
                hint: "set it to off behind a pooler in transaction mode (PgBouncer's pool_mode = transaction)",
                reason: "setting")
        }
    }

    /// The URL in `variable`, or nil when it is unset or empty.
    private static func url(_ environment: [String: String], _ variable: String) throws(PodiumError)
        -> PostgresConfiguration?
    {
        guard let text = environment[variable], !text.isEmpty else { return nil }
        do {
            return try PostgresConfiguration(text)
        } catch {
            throw PodiumError(
                .usage, "\(variable) is not a valid PostgreSQL URL: \(error.message)",
                hint: "use postgres://USER@HOST:PORT/DATABASE", reason: "setting")
        }
    }

    private static func locatePrimary(environment: [String: String], currentDirectory: URL) throws(PodiumError)
        -> (PostgresConfiguration, notice: String?)
    {
        do {
            if let configured = try PostgresConfiguration.fromEnvironment(environment) {
                return (configured, nil)
            }
        } catch {
            throw PodiumError(
                .usage, "DATABASE_URL is not a valid PostgreSQL URL: \(error.message)",
                hint: "use postgres://USER@HOST:PORT/DATABASE")
        }
        var folder = currentDirectory.standardizedFileURL
        while true {
            let file = folder.appendingPathComponent(localURLFile)
            if let text = try? String(contentsOf: file, encoding: .utf8) {
                let url = text.trimmingCharacters(in: .whitespacesAndNewlines)
                guard let configuration = try? PostgresConfiguration(url) else {
                    throw PodiumError(
                        .database, "\(file.path) does not hold a valid URL", hint: "run scripts/local-postgres start")
                }
                return (
                    configuration,
                    notice: "podium: no DATABASE_URL or PG* variable set; using the local PostgreSQL in "
                        + folder.appendingPathComponent(".podium/pg").path
                )
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
        throw PodiumError(
            .database, "no database configured",
            hint:
                "set DATABASE_URL (or PGHOST, PGUSER, ...), or run scripts/local-postgres start in the Podium checkout")
    }
}

extension PodiumError {
    /// Turns a LibPQ error into one a person can act on; `localCluster` when the database is
    /// the checkout's own (`scripts/local-postgres`), which the hint then names.
    public init(_ error: PostgresError, while action: String, localCluster: Bool = false) {
        // libpq words some messages over two lines ("...failed: No such file or directory\n\tIs
        // the server running...?"); a person reads one.
        let message = error.message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
        if error.commitOutcomeUnknown {
            // The change may be in the database: saying "unavailable" alone would let a person
            // believe nothing happened.
            self.init(
                .database,
                "cannot \(action): the connection broke while committing, so the change may have been recorded",
                hint: "look before repeating it (a transition: in its item's history; fired again with the same "
                    + "idempotency key, it is recorded once)", reason: "commit_unknown")
        } else if error.isMisconfiguration {
            self.init(
                .misconfigured, "cannot \(action): \(message)", hint: Self.fix(for: error, while: action),
                reason: "refused")
        } else if error.isConnectionLoss {
            self.init(
                .database, "cannot \(action): \(message)",
                hint: localCluster
                    ? "check that the local PostgreSQL runs (scripts/local-postgres status)"
                    : error.kind == .connectionFailed
                        ? error.hint : "the connection broke; check PostgreSQL's log and that it is up (pg_isready)",
                reason: "unavailable")
        } else if error.sqlState == .undefinedTable {
            self.init(
                .schema, "cannot \(action): \(message)", hint: "migrate the database's schema first",
                reason: "not_migrated")
        } else if let errorClass = error.sqlState?.errorClass, errorClass == "22" || errorClass == "23" {
            // Data exceptions and integrity violations: the input broke a rule the schema keeps
            // (a length, a check, a reference). Bad input, not a database that went away.
            self.init(
                .usage, "cannot \(action): the database refused the input: \(message)",
                hint: error.constraint.map { "constraint \($0)" } ?? error.hint, reason: "constraint")
        } else {
            self.init(.database, "cannot \(action): \(error)", hint: error.hint)
        }
    }

    /// What an operator changes for a refusal that waiting cannot cure.
    private static func fix(for error: PostgresError, while action: String) -> String {
        if error.sqlState == .duplicatePreparedStatement || error.sqlState == .invalidStatementName {
            return "a pooler in transaction mode (PgBouncer) shares server sessions between clients: "
                + "set PODIUM_PREPARED_STATEMENTS=off"
        }
        if action == "migrate", error.sqlState == .insufficientPrivilege {
            return "run migrations as the role that owns Podium's schema, on a direct URL"
        }
        if error.sqlState == .insufficientPrivilege || error.message.contains("permission denied") {
            return "grant the role its rights on Podium's tables (RELIABILITY.md: least privilege, podium_app)"
        }
        if error.message.contains("does not exist") || error.message.contains("no such database") {
            return "check the role and database names in DATABASE_URL, or create them"
        }
        return error.hint ?? "check the user and password (DATABASE_URL, PGPASSWORD or ~/.pgpass) and pg_hba.conf"
    }
}
