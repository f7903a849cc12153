internal import Crypto
public import Foundation
public import LibPQ
internal import WorkflowLanguage

/// One numbered SQL file from `SQL/`, such as `001_schema.sql`.
public struct Migration: Sendable, Equatable {
    /// The number before the underscore.
    public let version: Int
    /// The file name.
    public let name: String
    /// The statements.
    public let sql: String
    /// The SHA-256 of the file's bytes, hex-encoded.
    public let checksum: String

    /// Creates a migration from a file name of the form `NNN_words.sql` and its contents.
    public init(fileName: String, sql: String) throws(PodiumError) {
        let stem = fileName.hasSuffix(".sql") ? String(fileName.dropLast(4)) : ""
        let parts = stem.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, parts[0].count >= 3, parts[0].allSatisfy(\.isASCII),
            let version = Int(parts[0]), version > 0,
            parts[1].allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
        else {
            throw PodiumError(
                .schema, "\(fileName) is not a migration file name",
                hint: "name migrations NNN_lowercase_words.sql, e.g. 002_add_engagement.sql")
        }
        self.version = version
        self.name = fileName
        self.sql = sql
        self.checksum = Hex.sha256(Data(sql.utf8))
    }

    /// Reads every `*.sql` file of a directory, sorted by version.
    public static func load(from directory: URL) throws(PodiumError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PodiumError(
                .schema, "cannot read the migrations folder \(directory.path)",
                hint: "run podium from the repository, or set PODIUM_SQL_DIR to the folder holding 001_schema.sql")
        }
        var migrations: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            let url = directory.appendingPathComponent(name)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw PodiumError(.schema, "cannot read \(url.path) as UTF-8 text")
            }
            migrations.append(try Migration(fileName: name, sql: text))
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw PodiumError(
                .schema, "\(previous.name) and \(next.name) share the number \(next.version)",
                hint: "give the newer file the next free number")
        }
        guard !migrations.isEmpty else {
            throw PodiumError(.schema, "no migration files in \(directory.path)")
        }
        return migrations
    }

    /// Finds `SQL/`: `PODIUM_SQL_DIR`, then `./SQL`, then beside the executable's checkout or install.
    public static func locateDirectory(
        environment: [String: String], currentDirectory: URL, executable: URL
    ) -> URL? {
        if let explicit = environment["PODIUM_SQL_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        var candidates = [currentDirectory.appendingPathComponent("SQL")]
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(folder.appendingPathComponent("SQL"))
            candidates.append(folder.appendingPathComponent("share/podium/SQL"))
            folder = folder.deletingLastPathComponent()
        }
        return candidates.first { candidate in
            FileManager.default.fileExists(atPath: candidate.appendingPathComponent("001_schema.sql").path)
        }
    }
}

/// What `podium migrate` did.
public struct MigrationReport: Sendable {
    /// Migrations applied by this run, in order.
    public let applied: [Migration]
    /// How many were already in the database.
    public let alreadyApplied: Int
}

/// Applies migrations: all pending files in one transaction, under an advisory lock so two
/// `podium migrate` runs never interleave, each recorded with its checksum.
///
/// It refuses, changing nothing, when a file that was applied has since been edited, or when the
/// database holds a migration this copy of Podium does not know (an older binary).
public struct Migrator: Sendable {
    /// The advisory lock key that serialises migration runs (`pg_advisory_xact_lock`).
    public static let lockKey = 7_305_001

    private let migrations: [Migration]

    /// Creates a migrator for these files.
    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    /// Applies what is pending on `connection`.
    public func migrate(on connection: PostgresConnection) async throws -> MigrationReport {
        try await connection.transaction { connection in
            try await connection.execute("select pg_advisory_xact_lock(\(Self.lockKey))")
            try await connection.execute(
                """
                create table if not exists podium_schema_migrations (
                    version    integer     primary key,
                    name       text        not null,
                    checksum   text        not null,
                    applied_at timestamptz not null default now()
                )
                """)
            let applied = try await Self.appliedMigrations(on: connection)
            try verify(applied)
            let pending = migrations.filter { applied[$0.version] == nil }
            for migration in pending {
                try await connection.run(TrustedSQLScript(shippedSQL: migration.sql, origin: migration.name))
                try await connection.execute(
                    """
                    insert into podium_schema_migrations (version, name, checksum)
                    values (\(migration.version), \(migration.name), \(migration.checksum))
                    """)
            }
            return MigrationReport(applied: pending, alreadyApplied: applied.count)
        }
    }

    /// The migrations not yet applied, without changing anything.
    public func pending(on connection: PostgresConnection) async throws -> [Migration] {
        let exists = try await connection.query("select to_regclass('podium_schema_migrations') is not null as present")
        guard try exists.single().decode(Bool.self, "present") else { return migrations }
        let applied = try await Self.appliedMigrations(on: connection)
        try verify(applied)
        return migrations.filter { applied[$0.version] == nil }
    }

    private static func appliedMigrations(
        on connection: PostgresConnection
    ) async throws -> [Int: (name: String, checksum: String)] {
        var applied: [Int: (name: String, checksum: String)] = [:]
        for row in try await connection.query("select version, name, checksum from podium_schema_migrations") {
            applied[try row.decode(Int.self, "version")] = (
                try row.decode(String.self, "name"), try row.decode(String.self, "checksum")
            )
        }
        return applied
    }

    private func verify(_ applied: [Int: (name: String, checksum: String)]) throws(PodiumError) {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, record) in applied.sorted(by: { $0.key < $1.key }) {
            guard let file = known[version] else {
                throw PodiumError(
                    .schema,
                    "the database has migration \(record.name), which this copy of Podium does not have",
                    hint: "run a newer podium, or point PODIUM_SQL_DIR at the SQL folder that created this database")
            }
            guard file.checksum == record.checksum else {
                throw PodiumError(
                    .schema,
                    "\(file.name) was edited after it was applied "
                        + "(applied checksum \(record.checksum.prefix(12)), file now \(file.checksum.prefix(12)))",
                    hint: "applied migrations are immutable: restore the file and put the change in a new numbered file"
                )
            }
        }
    }
}
