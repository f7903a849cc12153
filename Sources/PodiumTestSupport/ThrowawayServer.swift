import Foundation
public import LibPQ

/// A private PostgreSQL server that a test may stop, start and restart without disturbing the
/// shared one: `initdb` into a temporary folder, a unix socket there, no TCP.
///
/// When the tests run as root, the server runs as the `postgres` system user (PostgreSQL refuses
/// root), exactly as `scripts/local-postgres` does. `chown`, `initdb` and `pg_ctl` run on a dispatch thread
/// (see ``PodiumBinary/run(_:environment:directory:)``): waiting for them on a cooperative thread
/// stalled every other test in the process for seconds. Only `deinit`, which cannot wait, stops a
/// forgotten server in place (`pg_ctl -m immediate`, a fraction of a second).
public final class ThrowawayServer: Sendable {
    private let folder: URL
    private let binaries: URL
    /// Where to connect (database `postgres`).
    public let configuration: PostgresConfiguration

    /// Initialises and starts a new server.
    public init() async throws {
        guard let binaries = Self.findBinaries() else {
            throw ServerError("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin; run scripts/local-postgres")
        }
        self.binaries = binaries
        folder = try await Self.ownersFolder(named: "podium-throwaway")
        let socket = folder.path
        configuration = try PostgresConfiguration("host=\(socket) port=5432 dbname=postgres user=podium")
        try await Self.asOwner(
            binaries.appendingPathComponent("initdb").path,
            [
                "-D", folder.appendingPathComponent("data").path, "-U", "podium", "--auth=trust", "--no-locale",
                "--encoding=UTF8", "--no-sync",
            ])
        try await start()
    }

    deinit {
        try? Self.asOwnerBlocking(
            binaries.appendingPathComponent("pg_ctl").path,
            [
                "-D", folder.appendingPathComponent("data").path, "-m", "immediate", "-w", "stop",
            ])
        try? FileManager.default.removeItem(at: folder)
    }

    /// Starts the server and waits until it accepts connections.
    public func start() async throws {
        try await Self.asOwner(
            binaries.appendingPathComponent("pg_ctl").path,
            [
                "-D", folder.appendingPathComponent("data").path, "-l", folder.appendingPathComponent("log").path,
                "-o", "-c listen_addresses='' -c unix_socket_directories='\(folder.path)' -c fsync=off", "-w", "start",
            ])
    }

    /// Stops the server (fast shutdown: sessions are terminated).
    public func stop() async throws {
        try await Self.asOwner(
            binaries.appendingPathComponent("pg_ctl").path,
            [
                "-D", folder.appendingPathComponent("data").path, "-m", "fast", "-w", "stop",
            ])
    }

    /// Starts a hot standby of `primary`, streaming from it: `pg_basebackup -R` into a folder of
    /// its own, then started like any throwaway server (the same port, another socket folder).
    public init(standbyOf primary: ThrowawayServer) async throws {
        binaries = primary.binaries
        folder = try await Self.ownersFolder(named: "podium-standby")
        configuration = try PostgresConfiguration("host=\(folder.path) port=5432 dbname=postgres user=podium")
        try await Self.asOwner(
            binaries.appendingPathComponent("pg_basebackup").path,
            [
                "-h", primary.folder.path, "-p", "5432", "-U", "podium", "-D",
                folder.appendingPathComponent("data").path,
                "-R", "-X", "stream", "--no-sync",
            ])
        try await start()
    }

    /// A new folder under the temporary directory, named `prefix` and a random part, that the
    /// server's owner (see ``asOwner(_:_:)``) may write in.
    static func ownersFolder(named prefix: String) async throws -> URL {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if getuid() == 0 {
            try await offTheCooperativePool { try run("/bin/chown", ["postgres:", folder.path]) }
        }
        return folder
    }

    /// Runs a program as the server's owner (the `postgres` user when the tests run as root).
    static func asOwner(_ executable: String, _ arguments: [String]) async throws {
        try await offTheCooperativePool { try asOwnerBlocking(executable, arguments) }
    }

    static func asOwnerBlocking(_ executable: String, _ arguments: [String]) throws {
        if getuid() == 0 {
            try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments)
        } else {
            try Self.run(executable, arguments)
        }
    }

    /// Runs a command with its output in a file and waits for it.
    ///
    /// `posix_spawn` and `waitpid` rather than Foundation's `Process`: the server that
    /// `pg_ctl start` leaves behind would inherit Process's bookkeeping descriptors, and
    /// `waitUntilExit()` would then never return.
    static func run(_ executable: String, _ arguments: [String]) throws {
        let log = NSTemporaryDirectory() + "podium-ctl-\(UUID()).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ServerError("cannot start \(executable): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw ServerError("\(executable) \(arguments.joined(separator: " ")) failed: \(text)")
        }
    }

    private static func findBinaries() -> URL? {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return versions.compactMap(Int.init).sorted().last.map {
            root.appendingPathComponent("\($0)/bin")
        }
    }

    /// A server that could not be set up or controlled.
    public struct ServerError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
