public import Foundation
public import LibPQ
public import PodiumCore

/// Gives each test its own database on the PostgreSQL server that `scripts/test` started.
///
/// Tests that need PostgreSQL fail (they never skip) when `DATABASE_URL` is missing, so a CI run
/// without a server cannot pass by testing nothing.
public enum TestDatabase {
    /// The checkout's root folder.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The server's configuration, from `DATABASE_URL`.
    public static func serverConfiguration() throws -> PostgresConfiguration {
        guard let configuration = try PostgresConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
        else {
            throw PodiumError(
                .database, "DATABASE_URL is not set; database tests need a real PostgreSQL",
                hint: "run the tests with scripts/test, which starts one")
        }
        return configuration
    }

    /// The migrations shipped in `SQL/`.
    public static func shippedMigrations() throws -> [Migration] {
        try Migration.load(from: repositoryRoot.appendingPathComponent("SQL"))
    }

    /// Creates an empty database (migrated unless told otherwise), runs `body`, then drops it.
    public static func withFreshDatabase<T>(
        migrated: Bool = true,
        _ body: (PostgresConfiguration) async throws -> T
    ) async throws -> T {
        let server = try serverConfiguration()
        let name = "podium_test_" + UUID().uuidString.prefix(12).lowercased().filter { $0 != "-" }
        let admin = try await PostgresConnection.connect(server)
        try await admin.execute("create database \(identifier: name)")
        let configuration = server.withDatabase(name)
        do {
            if migrated {
                let connection = try await PostgresConnection.connect(configuration)
                _ = try await Migrator(migrations: try shippedMigrations()).migrate(on: connection)
                await connection.close()
            }
            let result = try await body(configuration)
            try await admin.execute("drop database \(identifier: name) with (force)")
            await admin.close()
            return result
        } catch {
            _ = try? await admin.execute("drop database \(identifier: name) with (force)")
            await admin.close()
            throw error
        }
    }

    /// Opens a connection to a fresh database for the duration of `body`.
    public static func withConnection<T>(
        migrated: Bool = false,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withFreshDatabase(migrated: migrated) { configuration in
            let connection = try await PostgresConnection.connect(configuration)
            do {
                let result = try await body(connection)
                await connection.close()
                return result
            } catch {
                await connection.close()
                throw error
            }
        }
    }
}
