import Foundation
import LibPQ
import PodiumCore

/// Opens the database a command should use, saying so when it picked the local cluster.
enum Database {
    static func configuration() throws -> PostgresConfiguration {
        let choice = try DatabaseLocator.resolve(
            environment: ProcessInfo.processInfo.environment,
            currentDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        if let notice = choice.notice { Terminal.note(notice) }
        return choice.configuration
    }

    static func connect() async throws -> PostgresConnection {
        let configuration = try configuration()
        do {
            return try await PostgresConnection.connect(configuration)
        } catch {
            throw PodiumError(error, while: "connect to PostgreSQL")
        }
    }

    /// A small pool for one command; fails fast (3 s) when the server is down.
    static func pool() async throws -> PostgresPool {
        let pool = PostgresPool(
            configuration: try configuration(),
            options: .init(maxConnections: 2, acquireTimeout: .seconds(10), reconnectFor: .seconds(3)))
        do {
            try await pool.execute("select 1")
        } catch let error as PostgresError {
            throw PodiumError(error, while: "connect to PostgreSQL")
        }
        return pool
    }
}
