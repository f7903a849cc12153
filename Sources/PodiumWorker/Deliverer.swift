internal import Crypto
public import Foundation
public import PodiumCore
internal import WorkflowLanguage

#if canImport(FoundationNetworking)
    internal import FoundationNetworking
#endif

/// A delivery that failed; the message is recorded on the attempt.
public struct DeliveryError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Sends messages. One per worker process; safe to use from many tasks.
public actor Deliverer {
    /// The environment variable holding the webhook signing secret (never a flag).
    public static let secretVariable = "PODIUM_WEBHOOK_SECRET"

    private let webhookSecret: String?
    private let timeout: Duration
    /// The program emails are handed to (`PODIUM_SENDMAIL`, by default `/usr/sbin/sendmail -t -i`):
    /// it reads the whole message on standard input and its recipients from the headers.
    private let sendmail: String

    /// The default mail program: the standard interface msmtp and Postfix both provide.
    public static let defaultSendmail = "/usr/sbin/sendmail -t -i"

    public init(environment: [String: String], timeout: Duration = .seconds(10)) {
        webhookSecret = environment[Self.secretVariable]
        sendmail = environment["PODIUM_SENDMAIL"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultSendmail
        self.timeout = timeout
        // A command that exits without reading its input must fail the delivery, not kill the
        // process with SIGPIPE: writes to a closed pipe then return EPIPE instead.
        signal(SIGPIPE, SIG_IGN)
    }

    /// True for channels that take a whole batch in one write (`log`, `text`, `file`).
    public nonisolated static func writesInBatches(_ channel: DeliveryChannel) -> Bool {
        switch channel {
        case .log, .text, .file: true
        case .command, .webhook, .email, .slack, .teams: false
        }
    }

    /// Delivers `bodies` (JSON documents, one per line) on a `log` or `file` channel in a single
    /// write: with O_APPEND, processes sharing the file never interleave inside a batch.
    public func deliverBatch(_ bodies: [Data], on channel: DeliveryChannel) throws(DeliveryError) {
        var lines = Data()
        lines.reserveCapacity(bodies.reduce(0) { $0 + $1.count + 1 })
        for body in bodies {
            lines.append(body)
            lines.append(UInt8(ascii: "\n"))
        }
        switch channel {
        case .log, .text: FileHandle.standardOutput.write(lines)
        case .file(let path): try append(lines, to: path)
        case .command, .webhook, .email, .slack, .teams: throw DeliveryError("\(channel) takes one message at a time")
        }
    }

    /// Delivers `body` (one JSON document) on `channel`.
    public func deliver(_ body: Data, on channel: DeliveryChannel) async throws(DeliveryError) {
        switch channel {
        case .log, .text, .file:
            try deliverBatch([body], on: channel)
        case .command(let program):
            try await run(program, input: body)
        case .email:
            try await run(sendmail, input: body)
        case .webhook(let url), .slack(let url), .teams(let url):
            try await post(body, to: url)
        }
    }

    /// Appends with O_APPEND, so lines from many workers and processes never overwrite each other.
    private func append(_ line: Data, to path: String) throws(DeliveryError) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw DeliveryError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let written = line.withUnsafeBytes { buffer in write(descriptor, buffer.baseAddress, buffer.count) }
        guard written == line.count else {
            throw DeliveryError("cannot append to \(path): \(String(cString: strerror(errno)))")
        }
    }

    private func run(_ program: String, input: Data) async throws(DeliveryError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", program]
        let stdin = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw DeliveryError("cannot start \(program): \(error.localizedDescription)")
        }
        try? stdin.fileHandleForWriting.write(contentsOf: input)
        try? stdin.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw DeliveryError("\(program) took longer than \(timeout)")
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        guard process.terminationStatus == 0 else {
            let text = String(decoding: stderr.fileHandleForReading.availableData.prefix(500), as: UTF8.self)
            throw DeliveryError("\(program) exited with \(process.terminationStatus)\(text.isEmpty ? "" : ": \(text)")")
        }
    }

    private func post(_ body: Data, to url: URL) async throws(DeliveryError) {
        var request = URLRequest(url: url, timeoutInterval: Double(timeout.components.seconds))
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let webhookSecret {
            let signature = HMAC<SHA256>.authenticationCode(
                for: body, using: SymmetricKey(data: Data(webhookSecret.utf8)))
            request.setValue(
                "sha256=" + Hex.lowercase(signature),
                forHTTPHeaderField: "X-Podium-Signature")
        }
        let response: URLResponse
        do {
            (_, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw DeliveryError("POST \(url.host ?? "webhook") failed: \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse, (200..<300).contains(http.statusCode) else {
            throw DeliveryError(
                "POST \(url.host ?? "webhook") answered \((response as? HTTPURLResponse)?.statusCode ?? 0)")
        }
    }
}
