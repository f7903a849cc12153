import Foundation
public import LibPQ

/// A real PgBouncer (Debian's `pgbouncer` package) in front of a PostgreSQL server, for tests
/// of Podium behind a pooler: its own folder, a unix socket there, no TCP, trust
/// authentication, every database of the server (`* =`) in one pool mode.
///
/// When the tests run as root it runs as the `postgres` user, as PgBouncer refuses root.
public final class PgBouncer: Sendable {
    /// How server connections are shared among clients.
    public enum Mode: String, Sendable {
        /// A client holds one server connection for its whole session.
        case session
        /// A client holds a server connection only for one transaction; the next may run on another.
        case transaction
    }

    private let folder: URL
    private let process: Process
    private static let executable = "/usr/sbin/pgbouncer"
    private static let port = 6432

    /// Starts PgBouncer in `mode` in front of the server `backend` points at (its `host` and
    /// `port`), with at most `serverConnections` server connections per database and user, and
    /// returns once it accepts connections.
    ///
    /// - Throws: ``ThrowawayServer/ServerError`` when PgBouncer is not installed (`apt-get
    ///   install pgbouncer`; `scripts/test` installs it) or does not start.
    public init(in mode: Mode, before backend: PostgresConfiguration, serverConnections: Int) async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw ThrowawayServer.ServerError(
                "no \(Self.executable): install Debian's pgbouncer (scripts/test does)")
        }
        folder = try await ThrowawayServer.ownersFolder(named: "podium-pgbouncer")
        let host = backend.value(of: "host") ?? "/var/run/postgresql"
        let port = backend.value(of: "port") ?? "5432"
        let settings = """
            [databases]
            * = host=\(host) port=\(port)

            [pgbouncer]
            listen_addr =
            listen_port = \(Self.port)
            unix_socket_dir = \(folder.path)
            auth_type = trust
            auth_file = \(folder.path)/users.txt
            pool_mode = \(mode.rawValue)
            default_pool_size = \(serverConnections)
            max_client_conn = 500
            logfile = \(folder.path)/pgbouncer.log
            pidfile = \(folder.path)/pgbouncer.pid
            ignore_startup_parameters = extra_float_digits

            """
        try settings.write(to: folder.appendingPathComponent("pgbouncer.ini"), atomically: true, encoding: .utf8)
        try "\"podium\" \"\"\n".write(to: folder.appendingPathComponent("users.txt"), atomically: true, encoding: .utf8)
        // Root's files in the owner's folder: PgBouncer reads them and writes its own beside them.
        // In the foreground, as a Foundation `Process`, which closes every other descriptor in the
        // child: a daemon forked by posix_spawn kept the test runner's pipes open (a test then
        // waited for their end forever) and its blocked signal mask (it ignored SIGTERM).
        let process = Process()
        let settingsPath = folder.appendingPathComponent("pgbouncer.ini").path
        if getuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", "postgres", "--", Self.executable, settingsPath]
        } else {
            process.executableURL = URL(fileURLWithPath: Self.executable)
            process.arguments = [settingsPath]
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // It is ready when it answers.
        let probe = try configuration(database: "postgres")
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                let connection = try await PostgresConnection.connect(probe)
                await connection.close()
                return
            } catch {
                guard ContinuousClock.now < deadline else {
                    throw ThrowawayServer.ServerError("pgbouncer did not start: \(error); \(log)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    deinit {
        // SIGKILL: a test's pooler holds nothing worth a graceful stop, and no signal mask
        // can hold it up.
        if let text = try? String(contentsOf: folder.appendingPathComponent("pgbouncer.pid"), encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGKILL)
        }
        process.terminate()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Where to connect to `database` through this PgBouncer, as `podium`.
    public func configuration(database: String) throws -> PostgresConfiguration {
        try PostgresConfiguration("host=\(folder.path) port=\(Self.port) dbname=\(database) user=podium")
    }

    /// What PgBouncer has logged.
    public var log: String {
        (try? String(contentsOf: folder.appendingPathComponent("pgbouncer.log"), encoding: .utf8)) ?? ""
    }
}
