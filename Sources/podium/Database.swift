import Foundation
import LibPQ
import PodiumCore

/// Opens the database a command should use, saying so when it picked the local cluster.
enum Database {
    static func connect() async throws -> PostgresConnection {
        let choice = try DatabaseLocator.resolve(
            environment: ProcessInfo.processInfo.environment,
            currentDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        if let notice = choice.notice { Terminal.note(notice) }
        do {
            return try await PostgresConnection.connect(choice.configuration)
        } catch {
            throw PodiumError(error, while: "connect to PostgreSQL")
        }
    }
}
