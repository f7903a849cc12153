import Foundation
import LibPQ
import PodiumCore

/// The CLI's door to ``PodiumServices``: opened from the process's environment and folder, with
/// the notice about which database was chosen on stderr.
enum Services {
    /// Where people reach `podium serve` (`PODIUM_PUBLIC_URL`, by default
    /// `http://127.0.0.1:8080`), without a trailing `/`: the start of the links a command prints.
    static var publicURL: String {
        let given = ProcessInfo.processInfo.environment["PODIUM_PUBLIC_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let base = given ?? "http://127.0.0.1:8080"
        return base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    /// The services for `purpose` (a command by default).
    static func open(for purpose: PodiumServices.Purpose = .command) async throws -> PodiumServices {
        let services = try await PodiumServices.open(
            for: purpose, environment: ProcessInfo.processInfo.environment,
            currentDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        if let notice = services.notice { Terminal.note(notice) }
        return services
    }

    /// The migrations this Podium ships, from the `SQL/` folder (`PODIUM_SQL_DIR`, `./SQL`, or
    /// beside the executable).
    static func migrator() throws -> Migrator {
        guard
            let directory = Migration.locateDirectory(
                environment: ProcessInfo.processInfo.environment,
                currentDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                executable: URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath())
        else {
            throw PodiumError(
                .schema, "cannot find the SQL/ migrations folder",
                hint: "run podium from the repository, or set PODIUM_SQL_DIR")
        }
        return Migrator(migrations: try Migration.load(from: directory))
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
            throw PodiumError(error, while: "connect to PostgreSQL", localCluster: choice.notice != nil)
        }
    }
}
