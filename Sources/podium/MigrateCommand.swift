import ArgumentParser
import Foundation
import LibPQ
import PodiumCore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Applies the SQL migrations in SQL/ to the database.",
        discussion: """
            All pending files run in one transaction under an advisory lock; each is recorded
            with its checksum. Running it again is a no-op. An applied file that was edited is
            refused (exit 7): put changes in a new numbered file.

            Example:
              podium migrate
              podium migrate --status
            """
    )

    @Flag(help: "Only list pending migrations; change nothing.")
    var status = false

    func run() async throws {
        let migrator = try Services.migrator()
        let connection = try await Services.connect()
        do {
            if status {
                let pending = try await migrator.pending(on: connection)
                Terminal.output(pending.isEmpty ? "schema is up to date" : "pending:")
                for migration in pending { Terminal.output("  \(migration.name)") }
                return
            }
            let report = try await migrator.migrate(on: connection)
            if report.applied.isEmpty {
                let count = report.alreadyApplied
                Terminal.output("schema is up to date (\(count) migration\(count == 1 ? "" : "s") applied earlier)")
            }
            for migration in report.applied { Terminal.output("applied \(migration.name)") }
        } catch let error as PostgresError {
            throw PodiumError(error, while: "migrate")
        }
    }
}
