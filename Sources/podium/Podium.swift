import ArgumentParser
import Foundation
import LibPQ
import PodiumCore
import WorkflowLanguage

/// The `podium` command: argument parsing and output only; every decision lives in PodiumCore.
struct Podium: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "podium",
        abstract: "Runs executive social-media coaching programs as workflows on PostgreSQL.",
        discussion: """
            The database is DATABASE_URL, else libpq's PG* variables, else the project's local
            cluster (scripts/local-postgres start).

            Exit codes: 0 ok, 1 findings, 2 usage, 3 not found, 4 refused, 5 conflict,
            6 database unavailable, 7 schema problem, 9 the database refused the
            configuration (password, role, database, rights).
            """,
        subcommands: [
            Migrate.self, WorkflowCommand.self, ActorCommand.self, ItemCommand.self, WorkerCommand.self, Stuck.self,
            TasksCommand.self, ReportCommand.self, MetricsCommand.self, TokenCommand.self, SignInLinkCommand.self,
            CalendarCommand.self, CalendarFeedCommand.self,
            WebhookCommand.self,
            ServeCommand.self, Check.self,
        ]
    )
}

@main
enum Main {
    static func main() async {
        do {
            var command = try Podium.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as PodiumError {
            Terminal.error(error)
            Main.end(error.kind.exitCode)
        } catch let error as WorkflowFileError {
            Terminal.error(Terminal.field(error.description))
            Main.end(PodiumError.Kind.notFound.exitCode)
        } catch let error as PostgresError {
            let wrapped = PodiumError(error, while: "finish")
            Terminal.error(wrapped)
            Main.end(wrapped.kind.exitCode)
        } catch {
            // Argument errors are usage errors: exit 2 as documented, not ArgumentParser's 64.
            guard Podium.exitCode(for: error) == .validationFailure else { Podium.exit(withError: error) }
            Terminal.note(Podium.fullMessage(for: error))
            exit(PodiumError.Kind.usage.exitCode)
        }
    }

    /// Ends the process after a failure, with `code`, once what it printed is out.
    ///
    /// `_exit`, not `exit`: a failure can end the process while another thread is still inside
    /// libpq (a worker's listener or second lane connecting over TLS), and `exit`'s handlers
    /// would then tear OpenSSL down under it (seen: a refused password ending in SIGSEGV, exit
    /// 11, instead of exit 9). Nothing of Podium's waits on those handlers.
    static func end(_ code: Int32) -> Never {
        fflush(nil)  // every output stream
        _exit(code)
    }
}
