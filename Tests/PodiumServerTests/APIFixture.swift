import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibPQ
import Logging
import NIOCore
import PodiumCore
import PodiumServer
import PodiumTestSupport
import Prometheus
import Synchronization

/// A live `podium serve` application on a fresh database with the shipped workflows, the
/// engine fixture's cast (eve made an admin), and a personal token for each of them.
struct APIFixture: Sendable {
    let client: any TestClientProtocol
    let fixture: EngineFixture
    /// Each person's token, by handle.
    let tokens: [String: String]
    /// Every log line the server wrote, to check what never reaches a log.
    let log: LogLines
    /// The key the server signs links with.
    let key: SigningKey
    /// Where sign-in links go for people without a channel (a JSON line each).
    let signInChannel: URL

    /// Runs `body` against a live server (a real socket, a real HTTP client); `failuresPerMinute`
    /// is the server's limit on failed authentications per client address.
    static func run(
        failuresPerMinute: Int = 1000, migrations: [Migration]? = nil,
        _ body: @Sendable (APIFixture) async throws -> Void
    ) async throws {
        try await EngineFixture.run { fixture in
            try await fixture.pool.execute("update actors set roles = '{admin}' where handle = 'eve'")
            let services = try await PodiumServices.open(
                for: .server(connections: 4),
                environment: ["DATABASE_URL": fixture.configuration.conninfoIncludingPassword()],
                currentDirectory: TestDatabase.repositoryRoot)
            let store = TokenStore(pool: fixture.pool)
            var tokens: [String: String] = [:]
            for person in EngineFixture.cast {
                tokens[person.handle] = try await store.create(for: person.handle, name: "test", lifetime: 3600).token
            }
            let log = LogLines()
            let key = try SigningKey(secret: SecretToken.random(), origin: "test")
            let channel = FileManager.default.temporaryDirectory.appendingPathComponent(
                "podium-signin-\(UUID().uuidString).jsonl")
            defer { try? FileManager.default.removeItem(at: channel) }
            let application = try PodiumAPI.application(
                services: services,
                settings: ServerSettings(authenticationFailuresPerMinute: failuresPerMinute),
                web: WebSettings(
                    signingKey: key, publicURL: "https://podium.test", defaultChannel: .file(channel.path)),
                migrator: Migrator(migrations: try migrations ?? TestDatabase.shippedMigrations()),
                registry: Self.registry,
                logger: Logger(label: "podium.serve.test") { _ in LogLines.Handler(lines: log) })
            let frozenTokens = tokens
            try await application.test(.live) { client in
                try await body(
                    APIFixture(
                        client: client, fixture: fixture, tokens: frozenTokens, log: log, key: key,
                        signInChannel: channel))
            }
            await services.pool.shutdown()
        }
    }

    /// The process's metrics, as `podium serve` bootstraps them (once per process).
    static let registry = PodiumMetrics.bootstrap()

    /// One request as `person` (nil: no token), with a JSON `body` when given.
    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ uri: String, as person: String?, json body: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> Answer {
        var headers = extra
        if let person, let token = tokens[person] { headers[.authorization] = "Bearer \(token)" }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        return Answer(response: response)
    }
}

/// A response, its body read as JSON where it is JSON.
struct Answer: CustomStringConvertible {
    let response: TestResponse

    var status: Int { response.status.code }
    var text: String { String(buffer: response.body) }
    var headers: HTTPFields { response.headers }
    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
    }
    /// The problem document's `code`, for error responses.
    var code: String? { json["code"] as? String }

    var description: String { "\(status) \(headers[.contentType] ?? "") \(text.prefix(600))" }
}

/// Log lines kept in memory.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    /// A log handler writing a message and its metadata as one line into `lines`.
    struct Handler: LogHandler {
        let lines: LogLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let line = "\(event.level) \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0)=\($1)" })"
            lines.lines.withLock { $0.append(line) }
        }
    }
}
