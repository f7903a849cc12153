/// The rows a query returned, fully read into memory.
public struct PostgresRows: Sendable, Sequence {
    /// A result column: its name and type.
    public struct Column: Sendable, Hashable {
        /// The column's name as the query labelled it.
        public let name: String
        /// The column's type.
        public let type: PostgresDataType
    }

    /// The columns, in order.
    public let columns: [Column]
    /// The rows, in order.
    public let rows: [PostgresRow]
    /// For INSERT, UPDATE, DELETE and friends: how many rows the statement touched.
    public let affectedRows: Int
    /// The server's command tag, such as `INSERT 0 1` or `COMMIT`.
    public let commandTag: String

    init(columns: [Column], values: [[String?]], affectedRows: Int, commandTag: String) {
        self.columns = columns
        let index = ColumnIndex(columns: columns)
        self.rows = values.map { PostgresRow(index: index, values: $0) }
        self.affectedRows = affectedRows
        self.commandTag = commandTag
    }

    public func makeIterator() -> IndexingIterator<[PostgresRow]> { rows.makeIterator() }

    /// The number of rows.
    public var count: Int { rows.count }
    /// The first row, if any.
    public var first: PostgresRow? { rows.first }

    /// The only row, or a `.client` error naming how many came back.
    public func single() throws -> PostgresRow {
        guard rows.count == 1 else {
            throw PostgresError(kind: .client, message: "expected exactly one row, got \(rows.count)")
        }
        return rows[0]
    }
}

/// Column lookup shared by all rows of one result.
final class ColumnIndex: Sendable {
    let columns: [PostgresRows.Column]
    /// By name, for results wider than ``scanLimit``.
    private let positions: [String: Int]

    /// Up to this many columns, a name is found by comparing it with each column's in turn:
    /// cheaper than hashing it (hashing was 5% of the worker's CPU, 13 columns a row).
    private static let scanLimit = 24

    init(columns: [PostgresRows.Column]) {
        self.columns = columns
        var positions: [String: Int] = [:]
        if columns.count > Self.scanLimit {
            for (position, column) in columns.enumerated() where positions[column.name] == nil {
                positions[column.name] = position
            }
        }
        self.positions = positions
    }

    /// The position of the first column called `name`.
    func position(of name: String) -> Int? {
        guard columns.count > Self.scanLimit else { return columns.firstIndex { $0.name == name } }
        return positions[name]
    }
}

/// One result row. Decode columns by name or position into any ``PostgresDecodable`` type.
public struct PostgresRow: Sendable {
    let index: ColumnIndex
    let values: [String?]

    /// Decodes the column with this name.
    ///
    /// - Throws: ``PostgresError`` of kind `.decoding` if the column is missing, NULL for a
    ///   non-optional type, or of a type that cannot become `T` (naming the column and both types).
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        guard let position = index.position(of: column) else {
            let known = index.columns.map(\.name).joined(separator: ", ")
            throw PostgresError(kind: .decoding, message: "no column \"\(column)\" in the result (columns: \(known))")
        }
        return try decode(T.self, at: position)
    }

    /// Decodes the column at this position (0-based).
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at position: Int) throws -> T {
        guard index.columns.indices.contains(position) else {
            throw PostgresError(
                kind: .decoding, message: "no column at position \(position); the result has \(index.columns.count)")
        }
        let column = index.columns[position]
        guard let text = values[position] else {
            return try T.decodeNull(type: column.type, column: column.name)
        }
        return try T.decode(postgresText: text, type: column.type, column: column.name)
    }

    /// The raw text of a column, `nil` for NULL or an unknown column.
    public subscript(column: String) -> String? {
        index.position(of: column).flatMap { values[$0] }
    }
}
