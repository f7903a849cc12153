import Foundation
import LibPQ
import PodiumTestSupport
import Testing

@Suite("podium migrate")
struct MigrateCommandTests {
    @Test func migrateTwiceIsANoOpThroughTheBinary() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let environment = ["DATABASE_URL": try url(of: configuration)]
            let first = try await PodiumBinary.run(["migrate"], environment: environment)
            #expect(first.exitCode == 0, "\(first.stderr)")
            #expect(first.stdout.contains("applied 001_schema.sql"))
            let second = try await PodiumBinary.run(["migrate"], environment: environment)
            #expect(second.exitCode == 0)
            #expect(second.stdout.contains("schema is up to date"))
            #expect(!second.stdout.contains("applied 001"))
            #expect(second.stderr.isEmpty, "no notices on stderr: \(second.stderr)")
        }
    }

    @Test func editedMigrationExitsWithTheSchemaCode() async throws {
        try await TestDatabase.withFreshDatabase(migrated: true) { configuration in
            let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("podium-sql-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let original = try String(
                contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("SQL/001_schema.sql"), encoding: .utf8)
            try (original + "\n-- an innocent-looking edit\n").write(
                to: folder.appendingPathComponent("001_schema.sql"), atomically: true, encoding: .utf8)
            let result = try await PodiumBinary.run(
                ["migrate"], environment: ["DATABASE_URL": try url(of: configuration), "PODIUM_SQL_DIR": folder.path])
            #expect(result.exitCode == 7)
            #expect(result.stderr.contains("001_schema.sql was edited after it was applied"))
            #expect(result.stderr.contains("hint:"))
        }
    }

    @Test func unreachableDatabaseExitsWithTheDatabaseCodeAndHidesThePassword() async throws {
        let result = try await PodiumBinary.run(
            ["migrate"], environment: ["DATABASE_URL": "postgres://podium:hunter2@127.0.0.1:1/podium"])
        #expect(result.exitCode == 6)
        #expect(result.stderr.contains("cannot connect"))
        #expect(!result.stderr.contains("hunter2"))
    }

    @Test func helpShowsExitCodesAndAnExample() async throws {
        let root = try await PodiumBinary.run(["--help"], environment: [:])
        #expect(root.exitCode == 0)
        #expect(root.stdout.contains("Exit codes"))
        let migrate = try await PodiumBinary.run(["migrate", "--help"], environment: [:])
        #expect(migrate.stdout.contains("podium migrate --status"))
    }

    /// A URL for the binary: the test configuration's parameters as a conninfo string.
    private func url(of configuration: PostgresConfiguration) throws -> String {
        configuration.conninfoIncludingPassword()
    }
}
