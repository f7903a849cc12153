import Hummingbird
import NIOCore
import PodiumCore
import Synchronization

/// What one request carries from the middleware to its route: who is calling (set by
/// ``BearerAuthentication``) and from where.
struct APIRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The person the request's token acts for; nil only on the open routes (health, readiness,
    /// the OpenAPI document).
    var caller: ActorRecord?
    /// The signed-in browser session, on the inbox's and console's pages (``WebSessionMiddleware``).
    var session: WebSession?
    /// The client's IP address (`unknown` when the socket has none), which failed
    /// authentication is limited by.
    let clientAddress: String
    /// Who the request acted as, shared by every copy of this context, so the request log (which
    /// runs outside authentication) can say it.
    let actedAs = ActedAs()

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    var maxUploadSize: Int { APIJSON.bodyLimit }

    /// The request's id as Hummingbird puts it in the logger's metadata, for messages that
    /// point at a log line; `-` when the log handler keeps no metadata (Hummingbird's own `id`
    /// would crash then).
    var requestID: String {
        logger[metadataKey: "hb.request.id"].map { "\($0)" } ?? "-"
    }

    /// The caller, on a route behind authentication.
    func requireCaller() throws -> ActorRecord {
        guard let caller else {
            throw Problem(status: .unauthorized, code: "unauthenticated", detail: "this route needs a token")
        }
        return caller
    }

    /// The `{id}` of an item route.
    ///
    /// - Throws: ``Problem`` 404 when it is not a positive whole number: no item has that id.
    func itemID() throws -> Int {
        guard let id = parameters.get("id", as: Int.self), id > 0 else {
            throw Problem(
                status: .notFound, code: "not_found.item",
                detail: "no item \(parameters.get("id") ?? ""): item ids are positive whole numbers")
        }
        return id
    }
}

/// The handle a request acted as, written once by authentication and read by the request log.
final class ActedAs: Sendable {
    private let handle = Mutex<String?>(nil)

    var value: String? {
        get { handle.withLock { $0 } }
        set { handle.withLock { $0 = newValue } }
    }
}
