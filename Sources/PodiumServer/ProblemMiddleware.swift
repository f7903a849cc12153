import Foundation
import Hummingbird
import LibPQ
import Logging
import NIOCore
import PodiumCore

/// Turns every error a route throws into a ``Problem``: Podium's own errors by their kind and
/// code, the server's own (bad route parameters, bodies too large) by their status, and anything
/// else into a 500 that says only that it was logged, with the request id to find it by.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    /// The contract, for the methods a path allows (405 rather than 404).
    let contract: OpenAPIDocument
    /// The people's pages, when served: an error outside the API is answered as a page there.
    let pages: WebPages?

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        let isAPI = path.hasPrefix("/api/") || ["/api", "/metrics", "/healthz", "/readyz"].contains(path)
        guard let pages, !isAPI else { return try await problems(request, context: context, next: next) }
        do {
            return try await problems(request, context: context, next: next)
        } catch let problem as Problem {
            return WebErrorPage.response(for: problem, request: request, context: context, pages: pages)
        }
    }

    /// Every error of `next` as a ``Problem``.
    private func problems(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // PostgreSQL's text cannot hold U+0000: refused in a path or query as in a body.
        if request.uri.description.lowercased().contains("%00") {
            throw Problem(
                status: .unprocessableContent, code: "input.nul", detail: "text may not contain NUL (U+0000) characters"
            )
        }
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as PodiumError
            where error.kind == .database || error.kind == .schema || error.kind == .misconfigured
        {
            throw unavailable(error, context)
        } catch let error as PodiumError {
            throw Problem(error)
        } catch let error as PostgresError where error.kind == .encoding {
            throw Problem(status: .unprocessableContent, code: "input.encoding", detail: error.message)
        } catch let error as PostgresError {
            // The core's reading of a database error: away or not migrated (503), data the schema
            // refuses (a data exception or integrity violation: 422), anything else a 500.
            let classified = PodiumError(error, while: "answer")
            switch classified.kind {
            case .database, .schema, .misconfigured: throw unavailable(classified, context)
            case .usage:
                throw Problem(
                    status: .unprocessableContent, code: classified.code,
                    detail: "the database refused a value of this request")
            default: throw internalError(error, context)
            }
        } catch is NIOTooManyBytesError {
            throw Problem(
                status: .contentTooLarge, code: "input.too_large",
                detail: "the body is larger than \(APIJSON.bodyLimit / 1024) KiB")
        } catch let error as HTTPError where error.status == .notFound {
            // The router matched no route: 405 when the path is the contract's under another method.
            if let allowed = contract.methods(for: request.uri.path) {
                throw Problem(
                    status: .methodNotAllowed, code: "input.method",
                    detail:
                        "\(request.method) is not allowed on \(request.uri.path); use \(allowed.joined(separator: " or "))",
                    headers: [.allow: allowed.joined(separator: ", ")])
            }
            throw Problem(
                status: .notFound, code: "not_found.route",
                detail: "no such route: \(request.method) \(request.uri.path)")
        } catch let error as any HTTPResponseError {
            throw Problem(
                status: error.status, code: error.status == .notFound ? "not_found.route" : "input",
                detail: error.status == .notFound
                    ? "no such route: \(request.method) \(request.uri.path)"
                    : (error as? HTTPError)?.body ?? error.status.reasonPhrase)
        } catch {
            throw internalError(error, context)
        }
    }

    /// A failure of the server's own: logged in full with the request id, which is all the client gets.
    private func internalError(_ error: any Error, _ context: Context) -> Problem {
        context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
        return Problem(
            status: .internalServerError, code: "internal",
            detail: "the server failed; the failure is logged with request id \(context.requestID)")
    }

    /// A database that went away (or is not migrated) is the operator's to read about, in the
    /// log with the request id; the client gets 503, the code and when to try again, never a
    /// socket path or a host name.
    private func unavailable(_ error: PodiumError, _ context: Context) -> Problem {
        context.logger.error("database unavailable", metadata: ["error": "\(error.message)", "code": "\(error.code)"])
        let detail =
            switch error.code {
            case "database.commit_unknown":
                "the database went away while this change was being committed, so it may have been recorded; "
                    + "look before repeating it (a transition repeated with the same Idempotency-Key is recorded once)"
            case let code where code.hasPrefix("configuration."):
                "the server's database refuses its configuration; an operator must fix it"
            default: "the database is unavailable; try again in a few seconds"
            }
        // Retry-After only where trying again is the advice: not for a refusal an operator must
        // fix, nor for a change that may have been recorded.
        let retry = error.kind == .database && error.code != "database.commit_unknown"
        return Problem(
            status: .serviceUnavailable, code: error.code, detail: "\(detail) (request id \(context.requestID))",
            headers: retry ? [.retryAfter: "5"] : [:])
    }
}
