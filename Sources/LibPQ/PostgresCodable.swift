public import Foundation

/// A Swift value that can be sent to PostgreSQL as a bound parameter, in text format.
public protocol PostgresEncodable: Sendable {
    /// The parameter type announced to the server; `.unknown` lets the server infer it.
    static var postgresType: PostgresDataType { get }
    /// The value's text representation, as the server's input function expects it.
    func postgresText() throws -> String
}

/// A Swift value that can be read from a result column (text format).
public protocol PostgresDecodable {
    /// Decodes a non-NULL column value.
    /// - Throws: ``PostgresError`` of kind `.decoding` naming the column and both types.
    static func decode(postgresText text: String, type: PostgresDataType, column: String) throws -> Self
    /// The value for SQL NULL; the default throws, `Optional` returns `nil`.
    static func decodeNull(type: PostgresDataType, column: String) throws -> Self
}

extension PostgresDecodable {
    public static func decodeNull(type: PostgresDataType, column: String) throws -> Self {
        throw PostgresError(
            kind: .decoding,
            message: "column \"\(column)\" is NULL but \(Self.self) is not optional",
            hint: "decode it as \(Self.self)? or coalesce it in SQL")
    }

    static func mismatch(_ type: PostgresDataType, column: String) -> PostgresError {
        PostgresError(
            kind: .decoding, message: "column \"\(column)\" has type \(type), which cannot be decoded as \(Self.self)")
    }

    static func malformed(_ text: String, type: PostgresDataType, column: String) -> PostgresError {
        PostgresError(
            kind: .decoding,
            message: "column \"\(column)\" of type \(type) holds a value that is not a valid \(Self.self)")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgresText text: String, type: PostgresDataType, column: String) throws -> Self {
        try Wrapped.decode(postgresText: text, type: type, column: column)
    }

    public static func decodeNull(type: PostgresDataType, column: String) throws -> Self { nil }
}

extension String: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .unknown }
    public func postgresText() throws -> String {
        guard !utf8.contains(0) else {
            throw PostgresError(
                kind: .encoding, message: "text contains a NUL character, which PostgreSQL cannot store",
                hint: "remove NUL characters or store the value as bytea")
        }
        return self
    }

    public static func decode(postgresText text: String, type: PostgresDataType, column: String) throws -> String {
        guard type.isTextual || type == .json || type == .jsonb || type == .uuid else {
            throw mismatch(type, column: column)
        }
        return text
    }
}

/// Fixed-width integers share one decoder that accepts any integer column that fits.
protocol PostgresInteger: FixedWidthInteger, PostgresEncodable, PostgresDecodable {}

extension PostgresInteger {
    public func postgresText() throws -> String { String(self) }

    public static func decode(postgresText text: String, type: PostgresDataType, column: String) throws -> Self {
        guard type == .int2 || type == .int4 || type == .int8 || type == .oidType else {
            throw mismatch(type, column: column)
        }
        guard let value = Self(text) else {
            throw PostgresError(
                kind: .decoding, message: "column \"\(column)\" value \(text) does not fit \(Self.self)")
        }
        return value
    }
}

extension Int: PostgresInteger { public static var postgresType: PostgresDataType { .int8 } }
extension Int64: PostgresInteger { public static var postgresType: PostgresDataType { .int8 } }
extension Int32: PostgresInteger { public static var postgresType: PostgresDataType { .int4 } }
extension Int16: PostgresInteger { public static var postgresType: PostgresDataType { .int2 } }

extension Double: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .float8 }
    public func postgresText() throws -> String {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return "\(self)"
    }

    public static func decode(postgresText text: String, type: PostgresDataType, column: String) throws -> Double {
        guard [.float4, .float8, .numeric, .int2, .int4, .int8].contains(type) else {
            throw mismatch(type, column: column)
        }
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else { throw malformed(text, type: type, column: column) }
            return value
        }
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .bool }
    public func postgresText() throws -> String { self ? "true" : "false" }

    public static func decode(postgresText text: String, type: PostgresDataType, column: String) throws -> Bool {
        guard type == .bool else { throw mismatch(type, column: column) }
        switch text {
        case "t": return true
        case "f": return false
        default: throw malformed(text, type: type, column: column)
        }
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .uuid }
    public func postgresText() throws -> String { uuidString.lowercased() }

    public static func decode(postgresText text: String, type: PostgresDataType, column: String) throws -> UUID {
        guard type == .uuid || type.isTextual else { throw mismatch(type, column: column) }
        guard let value = UUID(uuidString: text) else { throw malformed(text, type: type, column: column) }
        return value
    }
}

extension Date: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .timestamptz }

    /// Microsecond precision, like PostgreSQL's `timestamptz`.
    public func postgresText() throws -> String {
        let interval = timeIntervalSince1970
        guard interval.isFinite else {
            throw PostgresError(kind: .encoding, message: "a Date that is not finite cannot be stored")
        }
        var seconds = interval.rounded(.down)
        var micros = ((interval - seconds) * 1_000_000).rounded()
        if micros >= 1_000_000 {
            seconds += 1
            micros -= 1_000_000
        }
        return PostgresTimestamp.format(seconds: Int64(seconds), microseconds: Int64(micros))
    }

    public static func decode(postgresText text: String, type: PostgresDataType, column: String) throws -> Date {
        guard type == .timestamptz || type == .timestamp else { throw mismatch(type, column: column) }
        guard let (seconds, micros) = PostgresTimestamp.parse(text) else {
            throw PostgresError(
                kind: .decoding,
                message: "column \"\(column)\" holds \(text), which is not a finite timestamp Date can represent")
        }
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }
}

/// A type whose arrays are sent typed as arrays of it (`text[]`, `int8[]`, ...). A statement then
/// needs no cast of the parameter, which the server evaluates element by element, and for each
/// row when the parameter sits in a select list or a `case` (`array_map` was 7% of PostgreSQL's
/// time in a worker's drain while ids travelled as `text[]`).
public protocol PostgresArrayElement: PostgresEncodable {
    /// The type of an array of this type.
    static var postgresArrayType: PostgresDataType { get }
}

extension String: PostgresArrayElement { public static var postgresArrayType: PostgresDataType { .textArray } }
extension Int: PostgresArrayElement { public static var postgresArrayType: PostgresDataType { .int8Array } }
extension Int64: PostgresArrayElement { public static var postgresArrayType: PostgresDataType { .int8Array } }
extension Int32: PostgresArrayElement { public static var postgresArrayType: PostgresDataType { .int4Array } }
extension Int16: PostgresArrayElement { public static var postgresArrayType: PostgresDataType { .int2Array } }

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresDataType { Element.postgresArrayType }
    public func postgresText() throws -> String {
        PostgresArrayLiteral.format(try map { try $0.postgresText() })
    }
}

extension Array: PostgresDecodable where Element == String {
    public static func decode(postgresText text: String, type: PostgresDataType, column: String) throws -> [String] {
        guard type == .textArray || type == .varcharArray else { throw mismatch(type, column: column) }
        guard let elements = PostgresArrayLiteral.parse(text) else {
            throw malformed(text, type: type, column: column)
        }
        return try elements.map { element in
            guard let element else {
                throw PostgresError(kind: .decoding, message: "column \"\(column)\" has a NULL array element")
            }
            return element
        }
    }
}

/// A `Codable` value stored as `jsonb` (sent as JSON, read from `json` or `jsonb`).
///
///     try await db.execute("insert into items (data) values (\(PostgresJSON(fields)))")
///     let fields = try row.decode(PostgresJSON<[String: String]>.self, "data").value
public struct PostgresJSON<Value: Codable & Sendable>: PostgresEncodable, PostgresDecodable, Sendable {
    /// The wrapped value.
    public var value: Value

    /// Wraps a value to be stored as `jsonb`.
    public init(_ value: Value) { self.value = value }

    public static var postgresType: PostgresDataType { .jsonb }

    public func postgresText() throws -> String {
        // Flat string objects (an item's data) are most of what is stored: written directly,
        // keys sorted as below.
        if let object = value as? [String: String] {
            var writer = JSONObjectWriter()
            for (key, text) in object.sorted(by: { $0.key < $1.key }) { writer.add(key, text) }
            return writer.finishedText()
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw PostgresError(kind: .encoding, message: "cannot encode \(Value.self) as JSON: \(error)")
        }
    }

    public static func decode(postgresText text: String, type: PostgresDataType, column: String) throws -> Self {
        guard type == .json || type == .jsonb || type.isTextual else { throw mismatch(type, column: column) }
        if Value.self == [String: String].self, let object = JSONStringsReader.object(text) as? Value {
            return Self(object)
        }
        do {
            return Self(try JSONDecoder().decode(Value.self, from: Data(text.utf8)))
        } catch {
            throw PostgresError(
                kind: .decoding,
                message: "column \"\(column)\" holds JSON that does not decode as \(Value.self): \(error)")
        }
    }
}
