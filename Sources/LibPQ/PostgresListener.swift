internal import CLibPQ
internal import Dispatch

/// A notification sent with `NOTIFY channel, 'payload'` or `pg_notify(channel, payload)`.
public struct PostgresNotification: Sendable, Equatable {
    /// The channel it was sent on.
    public let channel: String
    /// The payload, empty when none was given.
    public let payload: String
    /// The server process of the sender.
    public let senderPID: Int32
}

/// LISTEN on a dedicated connection; notifications arrive as an `AsyncSequence`.
///
/// The listener does not poll: a dispatch read source watches the connection's socket and
/// drains libpq when the server writes, on the listener's own serial queue. When the connection
/// breaks, ``notifications`` ends with a `.connectionLost` error; open a new listener then (and,
/// as with any queue, treat notifications as hints and keep a timed poll as the guarantee).
///
///     let listener = try await PostgresListener.connect(configuration)
///     try await listener.listen("podium_tasks")
///     for try await note in listener.notifications { ... }
public actor PostgresListener {
    private let connection: PostgresConnection
    private let source: any DispatchSourceRead
    private let continuation: AsyncThrowingStream<PostgresNotification, any Error>.Continuation
    /// Every notification on the channels this listener listens to, in arrival order.
    public nonisolated let notifications: AsyncThrowingStream<PostgresNotification, any Error>

    private init(connection: PostgresConnection, socket: Int32) {
        self.connection = connection
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: PostgresNotification.self, throwing: (any Error).self)
        self.notifications = stream
        self.continuation = continuation
        // The source's handlers run on the connection's own queue, which is its actor executor,
        // so they may use the connection synchronously.
        let source = DispatchSource.makeReadSource(fileDescriptor: socket, queue: connection.queue)
        // Dispatch sources are thread-safe; the handler cancels its own source when the socket dies,
        // which would otherwise report "readable" forever.
        nonisolated(unsafe) let watchedSource = source
        source.setEventHandler { [connection, continuation] in
            connection.assumeIsolated { connection in
                do {
                    for notification in try connection.pendingNotifications() {
                        continuation.yield(notification)
                    }
                } catch {
                    continuation.finish(throwing: error)
                    watchedSource.cancel()
                }
            }
        }
        source.setCancelHandler { [connection] in
            connection.assumeIsolated { $0.close() }
        }
        self.source = source
        source.resume()
    }

    /// Opens the listener's own connection.
    public static func connect(_ configuration: PostgresConfiguration) async throws(PostgresError) -> PostgresListener {
        let connection = try await PostgresConnection.connect(configuration, applicationName: "podium-listener")
        guard let socket = await connection.socketDescriptor() else {
            throw PostgresError(kind: .connectionLost, message: "the listener's connection has no socket")
        }
        return PostgresListener(connection: connection, socket: socket)
    }

    /// Starts listening on `channel` (quoted as an identifier).
    public func listen(_ channel: String) async throws(PostgresError) {
        try await connection.execute("listen \(identifier: channel)")
        try await deliverBuffered()
    }

    /// Stops listening on `channel`.
    public func unlisten(_ channel: String) async throws(PostgresError) {
        try await connection.execute("unlisten \(identifier: channel)")
    }

    /// Closes the connection and finishes ``notifications``.
    public func close() {
        source.cancel()
        continuation.finish()
    }

    /// Notifications that libpq read while running a command never make the socket readable
    /// again, so hand them over right away.
    private func deliverBuffered() async throws(PostgresError) {
        for notification in try await connection.pendingNotifications() {
            continuation.yield(notification)
        }
    }
}

extension PostgresConnection {
    /// The socket libpq reads from, for readiness notifications.
    func socketDescriptor() -> Int32? {
        guard let handle = rawHandle else { return nil }
        let socket = PQsocket(handle)
        return socket >= 0 ? socket : nil
    }

    /// Reads what the server sent without blocking and returns the notifications in it.
    func pendingNotifications() throws(PostgresError) -> [PostgresNotification] {
        guard let handle = rawHandle, PQconsumeInput(handle) == 1 else {
            throw PostgresError(
                kind: .connectionLost, message: "the listener's connection was lost",
                hint: "open a new PostgresListener and LISTEN again; poll for work you may have missed")
        }
        var notifications: [PostgresNotification] = []
        while let notify = PQnotifies(handle) {
            notifications.append(
                PostgresNotification(
                    channel: String(cString: notify.pointee.relname),
                    payload: notify.pointee.extra.map { String(cString: $0) } ?? "",
                    senderPID: notify.pointee.be_pid))
            PQfreemem(notify)
        }
        // PQnotifies parsed what arrived; a FATAL notice among it means the server is closing
        // this connection, and the end of the stream may already have been read with it.
        guard !serverAnnouncedClose, PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(
                kind: .connectionLost, message: "the server closed the listener's connection",
                hint: "open a new PostgresListener and LISTEN again; poll for work you may have missed")
        }
        return notifications
    }
}
