/// Runs `podium` against one database with the clock fixed (`PODIUM_NOW`), as a person at a
/// terminal would, one command after another.
public struct PodiumSession: Sendable {
    /// A command that should have succeeded and did not: its arguments, exit code and stderr.
    public struct Failure: Error, CustomStringConvertible {
        public let arguments: [String]
        public let result: PodiumBinary.Result
        public var description: String {
            "podium \(arguments.joined(separator: " ")) exited \(result.exitCode): \(result.stderr)"
        }
    }

    /// The database's connection string, password included.
    public let url: String

    public init(url: String) {
        self.url = url
    }

    /// Runs one command at `now` (RFC 3339), with `extra` environment variables, and returns how
    /// it ended.
    public func run(
        _ arguments: [String], at now: String = "2026-03-02T09:00:00Z", environment extra: [String: String] = [:]
    ) async throws -> PodiumBinary.Result {
        try await PodiumBinary.run(
            arguments, environment: extra.merging(["DATABASE_URL": url, "PODIUM_NOW": now]) { _, fixed in fixed })
    }

    /// Runs one command that must succeed and returns its stdout.
    ///
    /// - Throws: ``Failure`` when it exits with anything but 0.
    @discardableResult
    public func ok(_ arguments: [String], at now: String = "2026-03-02T09:00:00Z") async throws -> String {
        let result = try await run(arguments, at: now)
        guard result.exitCode == 0 else { throw Failure(arguments: arguments, result: result) }
        return result.stdout
    }
}
