/// A PostgreSQL type, identified by its OID.
public struct PostgresDataType: Hashable, Sendable, CustomStringConvertible {
    /// The type's object identifier in `pg_type`.
    public let oid: UInt32

    /// Wraps a type OID.
    public init(oid: UInt32) { self.oid = oid }

    /// Let the server infer the type from context (OID 0).
    public static let unknown = PostgresDataType(oid: 0)
    public static let bool = PostgresDataType(oid: 16)
    public static let bytea = PostgresDataType(oid: 17)
    public static let char = PostgresDataType(oid: 18)
    public static let name = PostgresDataType(oid: 19)
    public static let int8 = PostgresDataType(oid: 20)
    public static let int2 = PostgresDataType(oid: 21)
    public static let int4 = PostgresDataType(oid: 23)
    public static let text = PostgresDataType(oid: 25)
    public static let oidType = PostgresDataType(oid: 26)
    public static let json = PostgresDataType(oid: 114)
    public static let float4 = PostgresDataType(oid: 700)
    public static let float8 = PostgresDataType(oid: 701)
    public static let unknownLiteral = PostgresDataType(oid: 705)
    public static let int2Array = PostgresDataType(oid: 1005)
    public static let int4Array = PostgresDataType(oid: 1007)
    public static let textArray = PostgresDataType(oid: 1009)
    public static let varcharArray = PostgresDataType(oid: 1015)
    public static let int8Array = PostgresDataType(oid: 1016)
    public static let bpchar = PostgresDataType(oid: 1042)
    public static let varchar = PostgresDataType(oid: 1043)
    public static let date = PostgresDataType(oid: 1082)
    public static let timestamp = PostgresDataType(oid: 1114)
    public static let timestamptz = PostgresDataType(oid: 1184)
    public static let interval = PostgresDataType(oid: 1186)
    public static let numeric = PostgresDataType(oid: 1700)
    public static let uuid = PostgresDataType(oid: 2950)
    public static let jsonb = PostgresDataType(oid: 3802)

    /// The first OID PostgreSQL gives to user-defined types (enums, domains, composites).
    static let firstUserDefinedOID: UInt32 = 16_384

    private static let names: [UInt32: String] = [
        0: "unknown", 16: "bool", 17: "bytea", 18: "char", 19: "name", 20: "int8", 21: "int2",
        23: "int4", 25: "text", 26: "oid", 114: "json", 700: "float4", 701: "float8",
        705: "unknown", 1005: "int2[]", 1007: "int4[]", 1009: "text[]", 1015: "varchar[]", 1016: "int8[]",
        1042: "bpchar", 1043: "varchar",
        1082: "date", 1114: "timestamp", 1184: "timestamptz", 1186: "interval", 1700: "numeric",
        2950: "uuid", 3802: "jsonb",
    ]

    /// The SQL name for well-known types, `oid N` for the rest.
    public var description: String { Self.names[oid] ?? "oid \(oid)" }

    /// Text-like types that decode to `String` as they are.
    var isTextual: Bool {
        switch self {
        case .text, .varchar, .bpchar, .name, .char, .unknownLiteral, .unknown: true
        default: oid >= Self.firstUserDefinedOID
        }
    }
}
