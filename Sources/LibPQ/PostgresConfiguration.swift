internal import CLibPQ
internal import Foundation

/// Where and how to connect: a `postgres://` URL or a libpq conninfo string, plus overrides.
///
/// The password, wherever it was given, never appears in ``description`` nor in the errors that
/// connecting produces: it is replaced by `***`.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// Where a configuration came from, so tools can say which one they used.
    public enum Source: Sendable, Equatable {
        /// Given directly by the caller.
        case explicit
        /// The `DATABASE_URL` environment variable.
        case databaseURL
        /// libpq's own `PG*` environment variables (`PGHOST`, `PGUSER`, ...).
        case libpqEnvironment
    }

    /// The environment variables libpq reads on its own.
    static let libpqVariables: Set<String> = [
        "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGPASSFILE",
        "PGSERVICE", "PGSERVICEFILE", "PGSSLMODE", "PGOPTIONS", "PGAPPNAME", "PGCONNECT_TIMEOUT",
        "PGTARGETSESSIONATTRS",
    ]

    let connectionString: String
    /// Whether each distinct statement is prepared once per session under a name (`PQprepare`)
    /// and executed by that name: true by default. Set it to false behind a pooler in
    /// transaction mode (PgBouncer's `pool_mode = transaction`), where one client's statements
    /// may run on several server sessions and a session's named statements are seen by other
    /// clients: each statement then goes as one unnamed parse-bind-execute (`PQexecParams`),
    /// which such a pooler passes through.
    public var usesNamedStatements = true
    private(set) var overrides: [(keyword: String, value: String)] = []
    /// Where this configuration came from.
    public let source: Source
    /// Strings that must never be shown: the password, raw and decoded.
    private(set) var secrets: [String]
    private let redactedForm: String

    /// Parses a `postgres://` / `postgresql://` URL or a `key=value` conninfo string.
    ///
    /// - Throws: ``PostgresError`` of kind `.configuration` when libpq cannot parse it; the
    ///   message never contains the password.
    public init(_ connectionString: String) throws(PostgresError) {
        try self.init(connectionString, source: .explicit)
    }

    init(_ connectionString: String, source: Source) throws(PostgresError) {
        self.connectionString = connectionString
        self.source = source
        let rawSecrets = Self.rawURLPassword(in: connectionString).map { [$0] } ?? []
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            let text = errorMessage.map { String(cString: $0) } ?? "unparsable connection string"
            PQfreemem(errorMessage)
            throw PostgresError(
                kind: .configuration,
                message: Self.scrub(text.trimmingTrailingNewlines(), secrets: rawSecrets),
                hint: "use postgres://USER@HOST:PORT/DATABASE or 'host=... dbname=...'")
        }
        defer { PQconninfoFree(options) }
        var shown: [String] = []
        var secrets = rawSecrets
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            defer { cursor += 1 }
            guard let value = cursor.pointee.val else { continue }
            let isSecret = cursor.pointee.dispchar.map { String(cString: $0) == "*" } ?? false
            let text = String(cString: value)
            if isSecret {
                if !text.isEmpty { secrets.append(text) }
                shown.append("\(String(cString: keyword))=***")
            } else {
                shown.append("\(String(cString: keyword))=\(text)")
            }
        }
        self.secrets = secrets
        self.redactedForm = shown.isEmpty ? "libpq defaults" : shown.joined(separator: " ")
    }

    /// The configuration the environment asks for: `DATABASE_URL` first, then libpq's `PG*`
    /// variables; `nil` when neither is set.
    public static func fromEnvironment(_ environment: [String: String]) throws(PostgresError) -> PostgresConfiguration?
    {
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            return try PostgresConfiguration(url, source: .databaseURL)
        }
        if environment.keys.contains(where: libpqVariables.contains) {
            return try PostgresConfiguration("", source: .libpqEnvironment)
        }
        return nil
    }

    /// A copy that connects to another database on the same server.
    public func withDatabase(_ name: String) -> PostgresConfiguration {
        var copy = self
        copy.overrides.removeAll { $0.keyword == "dbname" }
        copy.overrides.append((keyword: "dbname", value: name))
        return copy
    }

    /// A copy that logs in as another role (with `password`, if the server asks for one).
    public func withUser(_ user: String, password: String? = nil) -> PostgresConfiguration {
        var copy = self
        copy.overrides.removeAll { $0.keyword == "user" || $0.keyword == "password" }
        copy.overrides.append((keyword: "user", value: user))
        if let password {
            copy.overrides.append((keyword: "password", value: password))
            copy.secrets.append(password)
        }
        return copy
    }

    /// The full `key='value'` conninfo string, overrides applied, password included.
    ///
    /// For handing the configuration to a child process (`podium`, `psql`, `pgbench`) through
    /// its environment (`DATABASE_URL`); never put it in arguments, logs or output.
    public func conninfoIncludingPassword() -> String {
        var pairs: [(String, String)] = []
        if let options = PQconninfoParse(connectionString, nil) {
            defer { PQconninfoFree(options) }
            var cursor = options
            while let keyword = cursor.pointee.keyword {
                if let value = cursor.pointee.val { pairs.append((String(cString: keyword), String(cString: value))) }
                cursor += 1
            }
        }
        for (keyword, value) in overrides {
            pairs.removeAll { $0.0 == keyword }
            pairs.append((keyword, value))
        }
        return pairs.map { keyword, value in
            let escaped = value.replacingAll("\\", with: "\\\\").replacingAll("'", with: "\\'")
            return "\(keyword)='\(escaped)'"
        }.joined(separator: " ")
    }

    /// The value this configuration gives `keyword` (`host`, `port`, `dbname`, ...), overrides
    /// applied; nil when it leaves it to libpq's defaults. Never use it to show a password.
    public func value(of keyword: String) -> String? {
        if let override = overrides.last(where: { $0.keyword == keyword }) { return override.value }
        guard let options = PQconninfoParse(connectionString, nil) else { return nil }
        defer { PQconninfoFree(options) }
        var cursor = options
        while let name = cursor.pointee.keyword {
            if String(cString: name) == keyword { return cursor.pointee.val.map { String(cString: $0) } }
            cursor += 1
        }
        return nil
    }

    /// The parameters with the password replaced by `***`.
    public var description: String {
        let extra = overrides.map { "\($0.keyword)=\($0.keyword == "password" ? "***" : $0.value)" }
        return ([redactedForm] + extra).joined(separator: " ")
    }

    /// Replaces every secret in `text` by `***`.
    func scrub(_ text: String) -> String { Self.scrub(text, secrets: secrets) }

    private static func scrub(_ text: String, secrets: [String]) -> String {
        secrets.reduce(text) { partial, secret in
            secret.isEmpty ? partial : partial.replacingAll(secret, with: "***")
        }
    }

    /// The password as written between `user:` and `@` in a URL, before percent-decoding.
    private static func rawURLPassword(in text: String) -> String? {
        guard let scheme = text.range(of: "://") else { return nil }
        let rest = text[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        guard let at = authority.lastIndex(of: "@") else { return nil }
        let userInfo = authority[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return nil }
        let password = userInfo[userInfo.index(after: colon)...]
        return password.isEmpty ? nil : String(password)
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var copy = self
        while copy.last?.isNewline == true { copy.removeLast() }
        return copy
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
