public import Foundation
public import LibPQ

/// Decides which PostgreSQL a command talks to.
///
/// In order: `DATABASE_URL`; libpq's own `PG*` variables; the project's local cluster, which
/// `scripts/local-postgres start` sets up in `.podium/pg/` and whose URL it writes to
/// `.podium/pg/url` (found from the current folder upwards).
public enum DatabaseLocator {
    /// A chosen configuration and, when it was not set explicitly, a line saying which.
    public struct Choice: Sendable {
        /// Where to connect.
        public let configuration: PostgresConfiguration
        /// One line for stderr when the local cluster was chosen by default.
        public let notice: String?
    }

    /// The path of the URL file inside a project, relative to its root.
    public static let localURLFile = ".podium/pg/url"

    /// Resolves the database for a command.
    public static func resolve(environment: [String: String], currentDirectory: URL) throws(PodiumError) -> Choice {
        do {
            if let configured = try PostgresConfiguration.fromEnvironment(environment) {
                return Choice(configuration: configured, notice: nil)
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
                return Choice(
                    configuration: configuration,
                    notice: "podium: no DATABASE_URL or PG* variable set; using the local PostgreSQL in "
                        + folder.appendingPathComponent(".podium/pg").path)
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
    /// Turns a LibPQ error into one a person can act on.
    public init(_ error: PostgresError, while action: String) {
        // libpq words some messages over two lines ("...failed: No such file or directory\n\tIs
        // the server running...?"); a person reads one.
        let message = error.message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
        if error.isConnectionLoss {
            self.init(
                .database, "cannot \(action): \(message)",
                hint: "check that PostgreSQL runs (scripts/local-postgres status) and that DATABASE_URL is right",
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
}
