import ArgumentParser
import Foundation
import LibPQ
import Logging
import PodiumCore
import PodiumServer
import PodiumWorker
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Serves the HTTP API (/api/v1, OpenAPI at /api/v1/openapi.json, /metrics); --with-worker runs a worker too.",
        discussion: """
            Every call but /healthz, /readyz and /api/v1/openapi.json needs a personal token
            (podium token create) and acts as its owner, with exactly their rights. The database
            comes from DATABASE_URL or the PG* variables, as for every command; the server starts
            while the database is away and /readyz says so until it answers with every migration.

            People use the pages: /signin (a sign-in link goes out through their own channel),
            /inbox, /items/ID and the community manager's /console; reminders carry signed links
            to /act/... when the server has a signing secret: PODIUM_SECRET_FILE (a file's path)
            or PODIUM_SECRET, at least 32 bytes, the same for the server and every worker (never
            a flag, which anyone on the machine can read). --dev makes a random one that dies
            with the process. Links and sign-in messages use PODIUM_PUBLIC_URL (by default
            http://HOST:PORT); a link to act lasts PODIUM_LINK_DAYS days (7 by default).

            On SIGTERM or SIGINT it stops taking connections, lets requests in flight finish
            (within \(Self.stopGrace)) and exits 0; with --with-worker the worker stops too.

            Example:
              podium serve --port 8080 --with-worker
              curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/me/tasks
            """
    )

    @Option(help: "The address to listen on; 0.0.0.0 for every interface.")
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: "The TCP port; 0 picks a free one (printed when listening).")
    var port = 8080

    @Option(parsing: .unconditional, help: "Database connections the server uses at most.")
    var connections = 16

    @Option(
        parsing: .unconditional,
        help: "Failed authentications one client address may make per minute before it gets 429.")
    var authFailuresPerMinute = 10

    @Flag(help: "Run a worker in the same process (reminders, escalations, timers).")
    var withWorker = false

    @Flag(
        help:
            "Development: sign links with a random key that lives as long as the process, and send sign-in links to people without a channel to the server's output."
    )
    var dev = false

    @OptionGroup(title: "With --with-worker") var delivery: DeliveryOptions

    @Option(help: "Log lines: auto (text on a terminal, JSON otherwise), text or json.")
    var logFormat: LogFormat = .auto

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard (1...200).contains(connections) else { throw ValidationError("--connections must be 1 to 200") }
        guard authFailuresPerMinute >= 1 else { throw ValidationError("--auth-failures-per-minute must be at least 1") }
    }

    func run() async throws {
        StopSignals.catch()
        logFormat.bootstrap()
        let registry = PodiumMetrics.bootstrap()
        let logger = Logger(label: "podium.serve")
        let migrator = try Services.migrator()
        let environment = ProcessInfo.processInfo.environment
        let services = try await Services.open(for: .server(connections: connections))
        // A refusal that waiting cannot cure (a wrong password, no such database, no rights on
        // Podium's tables)
        // stops the server now, exit 9; an unreachable database does not: the server starts,
        // and /readyz says so until the database is back.
        do {
            try await services.pool.execute("select 1 from items limit 1")
        } catch let error as PostgresError where error.isMisconfiguration {
            throw PodiumError(error, while: "connect to PostgreSQL")
        } catch let error as PostgresError where error.sqlState == .undefinedTable {
            logger.warning("the database is not migrated yet; /readyz answers 503 until it is")
        } catch {
            logger.warning("the database is not reachable yet; /readyz answers 503 until it is")
        }
        let settings = ServerSettings(
            host: host, port: port, publicURL: environment["PODIUM_PUBLIC_URL"],
            authenticationFailuresPerMinute: authFailuresPerMinute)
        let host = self.host
        let key = try dev ? SigningKey.random() : SigningKey.from(environment: environment)
        if let key {
            logger.info("links to act are signed", metadata: ["key": "\(key.origin)"])
        } else {
            logger.warning(
                "links to act are off: set PODIUM_SECRET_FILE (or PODIUM_SECRET), or run with --dev; sign-in and pages work"
            )
        }
        let web = WebSettings(
            signingKey: key, publicURL: settings.publicURL ?? "http://\(host):\(port)",
            defaultChannel: try delivery.channel(), environment: environment, development: dev)
        // Read at start-up, so a bad PODIUM_LINK_DAYS stops the server rather than its worker later.
        let links = try LinkMaker.from(
            environment: environment.merging(["PODIUM_PUBLIC_URL": web.publicURL]) { given, _ in given }, key: key)
        let application = try PodiumAPI.application(
            services: services, settings: settings, web: web, migrator: migrator, registry: registry, logger: logger
        ) { port in
            Terminal.note("podium serve: listening on http://\(host):\(port); SIGTERM or Ctrl-C stops it")
        }
        var members: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: application)]
        var pools = ["serve": services.pool]
        if withWorker {
            let workerServices = try await Services.open(for: .worker(concurrency: delivery.concurrency, once: false))
            let owner = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):serve"
            let worker = Worker(
                pool: workerServices.pool,
                options: WorkerOptions(
                    concurrency: delivery.concurrency, defaultChannel: try delivery.channel(),
                    links: links,
                    mailFrom: WorkerOptions.mailFrom(environment)),
                time: workerServices.clock, environment: environment, owner: owner,
                logger: Logger(label: "podium.worker"))
            let service = WorkerService(worker: worker, listen: workerServices.listen) { summary in
                Terminal.note("podium serve: worker \(owner) stopped; \(summary)")
            }
            members.append(.init(service: service))
            pools["worker"] = workerServices.pool
        }
        members.append(.init(service: MetricsSampler(services: services, pools: pools, logger: logger)))
        members.append(.init(service: ReplicaWatch(services: services, logger: logger)))
        // SIGTERM and SIGINT reach the group through StopSignals, which triggers its graceful
        // shutdown: the server stops accepting, finishes requests in flight; the worker what it holds.
        let group = ServiceGroup(
            configuration: .init(services: members, gracefulShutdownSignals: [], logger: logger))
        let stopping = Task {
            await StopSignals.stop(within: Self.stopGrace, logger: logger) { await group.triggerGracefulShutdown() }
        }
        try await group.run()
        stopping.cancel()
    }

    /// How long requests in flight may take to finish after a stop request.
    static let stopGrace: Duration = .seconds(10)
}
