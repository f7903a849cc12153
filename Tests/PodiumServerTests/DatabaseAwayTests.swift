import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibPQ
import Logging
import PodiumCore
import PodiumServer
import PodiumTestSupport
import Testing

@Suite("The API while PostgreSQL is away")
struct DatabaseAwayTests {
    @Test func itAnswers503WithRetryAfterAndIsReadyAgainWhenTheDatabaseIsBack() async throws {
        let server = try await ThrowawayServer()
        let admin = try await PostgresConnection.connect(server.configuration)
        try await admin.execute("create database podium")
        await admin.close()
        let configuration = server.configuration.withDatabase("podium")
        let setup = try await PostgresConnection.connect(configuration)
        let migrator = Migrator(migrations: try TestDatabase.shippedMigrations())
        _ = try await migrator.migrate(on: setup)
        await setup.close()
        let services = try await PodiumServices.open(
            for: .server(connections: 2), environment: ["DATABASE_URL": configuration.conninfoIncludingPassword()],
            currentDirectory: TestDatabase.repositoryRoot)
        _ = try await services.actors.add(
            handle: "carol", name: "Carol", roles: ["community_manager"], timezone: "UTC", channel: nil,
            workingHours: nil)
        let token = try await services.tokens.create(for: "carol", name: "test", lifetime: 3600).token
        let application = try PodiumAPI.application(
            services: services, settings: ServerSettings(), migrator: migrator, registry: APIFixture.registry,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        try await application.test(.live) { client in
            let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
            #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: bearer).status == .ok)
            try await server.stop()
            // The token is remembered for a few seconds; a list reads the database itself.
            let away = try await client.execute(uri: "/api/v1/workflows", method: .get, headers: bearer)
            #expect(away.status == .serviceUnavailable, "\(String(buffer: away.body))")
            #expect(away.headers[.retryAfter] == "5")
            #expect(String(buffer: away.body).contains("\"code\":\"database.unavailable\""))
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable && String(buffer: ready.body).contains("database_unavailable"))
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            try await server.start()
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: bearer).status == .ok)
        }
        await services.pool.shutdown()
    }

    /// A server started on a database nobody migrated answers 503 with the schema's code on
    /// every route, never a 500 about a missing table.
    @Test func anUnmigratedDatabaseIs503NotA500() async throws {
        try await TestDatabase.withFreshDatabase(migrated: false) { configuration in
            let services = try await PodiumServices.open(
                for: .server(connections: 2), environment: ["DATABASE_URL": configuration.conninfoIncludingPassword()],
                currentDirectory: TestDatabase.repositoryRoot)
            let application = try PodiumAPI.application(
                services: services, settings: ServerSettings(),
                migrator: Migrator(migrations: try TestDatabase.shippedMigrations()), registry: APIFixture.registry,
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            try await application.test(.live) { client in
                let answer = try await client.execute(
                    uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer pdm_anything"])
                #expect(answer.status == .serviceUnavailable, "\(String(buffer: answer.body))")
                #expect(String(buffer: answer.body).contains("\"code\":\"schema.not_migrated\""))
                let ready = try await client.execute(uri: "/readyz", method: .get)
                #expect(
                    ready.status == .serviceUnavailable && String(buffer: ready.body).contains("migrations_pending"))
            }
            await services.pool.shutdown()
        }
    }
}
