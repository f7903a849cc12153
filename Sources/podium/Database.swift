import Foundation
import LibPQ
import PodiumCore

/// The CLI's door to ``PodiumServices``: opened from the process's environment and folder, with
/// the notice about which database was chosen on stderr.
enum Services {
    /// The services for `purpose` (a command by default).
    static func open(for purpose: PodiumServices.Purpose = .command) async throws -> PodiumServices {
        let services = try await PodiumServices.open(
            for: purpose, environment: ProcessInfo.processInfo.environment,
            currentDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        if let notice = services.notice { Terminal.note(notice) }
        return services
    }

    /// One connection of its own, for `podium migrate`, which must run outside the pool.
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
