/// A SQL statement whose values travel as bound parameters, never as SQL text.
///
/// Build one with string interpolation; every interpolated value becomes `$1`, `$2`, ...:
///
///     let rows = try await db.query("select id from items where stage = \(stage) and id > \(after)")
///
/// There is no way to interpolate a value as text. Two visibly named escape hatches exist:
/// `\(identifier: name)` quotes a table, column or channel name (doubling embedded quotes), and
/// `\(fragment)` appends another `PostgresQuery`, renumbering its parameters, so filters can be
/// composed without ever touching SQL text.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Part: Sendable {
        case sql(String)
        case binding(PostgresBinding)
    }

    private(set) var parts: [Part]

    /// A query with no parameters, from a string literal.
    public init(stringLiteral value: String) {
        parts = [.sql(value)]
    }

    public init(stringInterpolation: StringInterpolation) {
        parts = stringInterpolation.parts
    }

    /// The SQL text with `$n` placeholders.
    public var sql: String {
        var text = ""
        text.reserveCapacity(
            parts.reduce(0) { length, part in
                if case .sql(let literal) = part { return length + literal.utf8.count }
                return length + 4
            })
        var position = 0
        for part in parts {
            switch part {
            case .sql(let literal): text.append(literal)
            case .binding:
                position += 1
                text.append("$")
                text.append(String(position))
            }
        }
        return text
    }

    /// The bound values, in placeholder order.
    public var bindings: [PostgresBinding] {
        parts.compactMap { part in
            if case .binding(let binding) = part { return binding }
            return nil
        }
    }

    /// The SQL text only: parameter values are never printed.
    public var description: String { sql }

    /// Appends another query, keeping its parameters bound.
    public static func + (lhs: PostgresQuery, rhs: PostgresQuery) -> PostgresQuery {
        var result = lhs
        result.parts += rhs.parts
        return result
    }

    /// Joins queries with a separator such as `" and "`.
    public static func joined(_ queries: [PostgresQuery], separator: String) -> PostgresQuery {
        var result = PostgresQuery(stringLiteral: "")
        for (position, query) in queries.enumerated() {
            if position > 0 { result.parts.append(.sql(separator)) }
            result.parts += query.parts
        }
        return result
    }

    /// Builds the text and bindings of an interpolated query.
    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) {
            parts.append(.sql(literal))
        }

        /// Binds a value as the next `$n` parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            parts.append(.binding(PostgresBinding(value)))
        }

        /// Binds a value, or SQL NULL for `nil`.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            parts.append(.binding(value.map(PostgresBinding.init) ?? PostgresBinding(null: Value.postgresType)))
        }

        /// Appends another query; its parameters stay parameters.
        public mutating func appendInterpolation(_ fragment: PostgresQuery) {
            parts += fragment.parts
        }

        /// Quotes a name (table, column, channel) as a SQL identifier: `"name"`, doubling `"`.
        /// For names only; values must be bound.
        public mutating func appendInterpolation(identifier name: String) {
            parts.append(.sql(PostgresQuery.quoteIdentifier(name)))
        }
    }

    /// `"name"` with embedded double quotes doubled; NUL characters are dropped.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.filter { $0 != "\0" }.replacingAll("\"", with: "\"\"") + "\""
    }
}

/// One bound parameter: its type and its text, or NULL.
public struct PostgresBinding: Sendable {
    /// The type announced to the server.
    public let type: PostgresDataType
    let encoded: Result<String?, PostgresError>

    init(_ value: some PostgresEncodable) {
        type = Swift.type(of: value).postgresType
        do {
            encoded = .success(try value.postgresText())
        } catch let error as PostgresError {
            encoded = .failure(error)
        } catch {
            encoded = .failure(PostgresError(kind: .encoding, message: "\(error)"))
        }
    }

    init(null type: PostgresDataType) {
        self.type = type
        encoded = .success(nil)
    }

    /// The text sent to the server, `nil` for NULL.
    func text() throws(PostgresError) -> String? { try encoded.get() }
}

/// A script of trusted SQL statements run as one simple-protocol call, such as a migration file.
///
/// It cannot hold parameters. Only create one from SQL that ships with the program, never from
/// input: the name says so.
public struct TrustedSQLScript: Sendable {
    /// The statements.
    public let text: String
    /// Where the script came from, for error messages.
    public let origin: String

    /// Wraps SQL that ships with the program (a migration file, a test fixture).
    public init(shippedSQL text: String, origin: String) {
        self.text = text
        self.origin = origin
    }
}
