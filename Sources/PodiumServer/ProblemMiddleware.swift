import Foundation
public import Hummingbird
import LibPQ
import Logging
import NIOCore
import PodiumCore

/// Turns every error a route throws into a ``Problem``: Podium's own errors by their kind and
/// code, the server's own (bad route parameters, bodies too large) by their status, and anything
/// else into a 500 that says only that it was logged, with the request id to find it by.
public struct ProblemMiddleware: RouterMiddleware {
    public typealias Context = APIRequestContext

    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as PodiumError {
            throw Problem(error)
        } catch let error as PostgresError where error.isConnectionLoss || error.kind == .pool {
            throw Problem(PodiumError(error, while: "reach PostgreSQL"))
        } catch is NIOTooManyBytesError {
            throw Problem(
                status: .contentTooLarge, code: "input.too_large",
                detail: "the body is larger than \(APIJSON.bodyLimit / 1024) KiB")
        } catch let error as any HTTPResponseError {
            throw Problem(
                status: error.status, code: error.status == .notFound ? "not_found.route" : "input",
                detail: error.status == .notFound
                    ? "no such route: \(request.method) \(request.uri.path)"
                    : (error as? HTTPError)?.body ?? error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            throw Problem(
                status: .internalServerError, code: "internal",
                detail: "the server failed; the failure is logged with request id \(context.id)")
        }
    }
}
