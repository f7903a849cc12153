import Foundation
public import Hummingbird
public import Logging
public import PodiumCore
public import Prometheus

/// What `podium serve` listens on and links with.
public struct ServerSettings: Sendable {
    /// The address to bind: `127.0.0.1` by default, so nothing outside the machine reaches a
    /// server its operator has not decided to expose.
    public var host: String
    /// The TCP port; 0 asks the system for a free one (tests), reported by `onServerRunning`.
    public var port: Int
    /// The address clients reach the server at (`PODIUM_PUBLIC_URL`, without a trailing `/`),
    /// for the links it gives (`Location`); nil gives links relative to the server's root.
    public var publicURL: String?
    /// Failed authentications one client address may make per minute before it must wait
    /// (429). Behind a reverse proxy every client has the proxy's address: raise it there.
    public var authenticationFailuresPerMinute: Int

    public init(
        host: String = "127.0.0.1", port: Int = 8080, publicURL: String? = nil,
        authenticationFailuresPerMinute: Int = 10
    ) {
        self.host = host
        self.port = port
        let given = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.publicURL = given.flatMap { $0.isEmpty ? nil : $0 }
        self.authenticationFailuresPerMinute = authenticationFailuresPerMinute
    }
}

/// Podium's HTTP API on Hummingbird: the routes, and around them, from the outside in, the HTTP
/// metrics, the request log, errors as problem documents and authentication.
public enum PodiumAPI {
    /// The application serving `services` on `settings`; run it (it is a `Service`) in a
    /// `ServiceGroup`, beside the worker or alone.
    ///
    /// - Parameters:
    ///   - migrator: the migrations this Podium ships, which `/readyz` checks the database has.
    ///   - registry: where `/metrics` reads from (the process's Prometheus registry).
    ///   - web: the people's pages (inbox, links, console) and what they need; nil serves the API alone.
    ///   - onServerRunning: called with the bound port once the server accepts connections (the
    ///     readiness signal tests wait for).
    /// - Throws: when the shipped OpenAPI document or page templates cannot be read.
    public static func application(
        services: PodiumServices, settings: ServerSettings, web: WebSettings? = nil, migrator: Migrator,
        registry: PrometheusCollectorRegistry, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let contract = try OpenAPIDocument()
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: RequestLog())
        let pages = try web.map { _ in try WebPages() }
        router.add(middleware: ProblemMiddleware(contract: contract, pages: pages))
        router.add(
            middleware: BearerAuthentication(
                tokens: services.tokens,
                limiter: FailedAttemptLimiter(limit: settings.authenticationFailuresPerMinute, window: 60)))
        HealthRoutes(services: services, migrator: migrator, openAPI: contract).add(to: router)
        router.get("/metrics") { _, context in
            _ = try context.requireCaller()
            return Response(
                status: .ok, headers: [.contentType: Self.metricsContentType],
                body: .init(byteBuffer: ByteBuffer(bytes: PodiumMetrics.exposition(of: registry))))
        }
        PeopleRoutes(services: services).add(to: router)
        WorkflowRoutes(services: services).add(to: router)
        ItemRoutes(services: services, publicURL: settings.publicURL).add(to: router)
        OperatorRoutes(services: services).add(to: router)
        if let web, let pages {
            let group = router.group()
                .add(
                    middleware: WebSessionMiddleware(
                        sessions: WebSessions(pool: services.pool, time: services.clock), pages: pages,
                        publicURL: web.publicURL))
            InboxRoutes(services: services, pages: pages, web: web).add(to: group)
            LinkRoutes(services: services, pages: pages, key: web.signingKey).add(to: group)
            ConsoleRoutes(services: services, pages: pages).add(to: group)
            CalendarRoutes(services: services, pages: pages, web: web).add(to: group)
        }
        return Application(
            router: router,
            // A connection that says nothing for 30 s is closed: a client that opens connections
            // and never finishes a request cannot hold them.
            server: .http1(configuration: .init(idleTimeout: .seconds(30))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "podium"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger)
    }

    /// A server with `/metrics` alone, for a worker on its own (`podium worker --metrics-port`):
    /// no database, no token; bind it where only Prometheus reaches it (127.0.0.1 by default).
    public static func metricsApplication(
        registry: PrometheusCollectorRegistry, host: String, port: Int, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: Self.metricsContentType],
                body: .init(byteBuffer: ByteBuffer(bytes: PodiumMetrics.exposition(of: registry))))
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "podium"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// The Prometheus text exposition format, version 0.0.4.
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"
}
