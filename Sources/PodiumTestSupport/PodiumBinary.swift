public import Foundation
import PodiumCore

/// Runs the built `podium` executable, for tests of wiring, output and exit codes.
public enum PodiumBinary {
    /// What one run printed and how it ended.
    public struct Result: Sendable {
        public let exitCode: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The `podium` built beside the test runner.
    public static var url: URL {
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return runner.deletingLastPathComponent().appendingPathComponent("podium")
    }

    /// Runs `podium` with `arguments`, in `directory`, with `environment` replacing the process's own.
    ///
    /// The blocking reads and the wait happen on a dispatch thread, never on one of Swift's
    /// cooperative threads: on a 2-core machine two blocked runs would otherwise stall every
    /// other test in the process.
    public static func run(
        _ arguments: [String], environment: [String: String], directory: URL = TestDatabase.repositoryRoot
    ) async throws -> Result {
        try await offTheCooperativePool { try runBlocking(arguments, environment: environment, directory: directory) }
    }

    private static func runBlocking(_ arguments: [String], environment: [String: String], directory: URL) throws
        -> Result
    {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = directory
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            exitCode: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}

extension PodiumBinary {
    /// A `podium` running in the background, and the file its stdout and stderr go to.
    public struct Running: Sendable {
        public let process: Process
        public let log: String

        /// What it has written so far.
        public var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    }

    /// Starts `podium` and returns once its output holds `line` (its readiness signal, e.g. a
    /// worker's `ready`), never after a fixed sleep.
    ///
    /// - Throws: `PodiumError` `.usage` when the process exits first, or has not said `line`
    ///   within `patience` (a hang, not a measurement).
    public static func startWhenReady(
        _ arguments: [String], environment: [String: String], saying line: String, patience: Duration = .seconds(60)
    ) async throws -> Running {
        let running = try startLogging(arguments, environment: environment)
        let deadline = ContinuousClock.now + patience
        while !running.output.contains(line) {
            guard running.process.isRunning, ContinuousClock.now < deadline else {
                throw PodiumError(
                    .usage, "podium \(arguments.joined(separator: " ")) never said \"\(line)\": \(running.output)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return running
    }

    /// Starts `podium` in the background; its output goes to files under the temporary folder.
    public static func start(_ arguments: [String], environment: [String: String]) throws -> Process {
        try startLogging(arguments, environment: environment).process
    }

    /// Starts `podium` in the background, its output going to a file ``Running/output`` reads.
    public static func startLogging(_ arguments: [String], environment: [String: String]) throws -> Running {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = TestDatabase.repositoryRoot
        let log = NSTemporaryDirectory() + "podium-process-\(UUID().uuidString.prefix(8)).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return Running(process: process, log: log)
    }

    /// Waits up to `timeout` for `process` to exit; true when it did.
    public static func waitForExit(_ process: Process, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !process.isRunning
    }
}

/// Runs blocking `work` (a child process, a wait) on a dispatch thread and resumes with its result.
func offTheCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Swift.Result { try work() }) }
    }
}
