import Foundation
import Hummingbird
import Logging

/// One log line per request, when it is answered: request id, method, route (the pattern, not the
/// path, so ids and names people typed stay out of the labels), status, latency in milliseconds,
/// and the acting person. Headers are never logged, so neither is a token.
struct RequestLog: RouterMiddleware {
    typealias Context = APIRequestContext

    init() {}

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context, status: response.status.code, since: start)
            return response
        } catch let error as any HTTPResponseError {
            log(request, context, status: error.status.code, since: start)
            throw error
        } catch {
            log(request, context, status: 500, since: start)
            throw error
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        // Tenths of a millisecond, without String(format:), which cost more than the line itself.
        let tenths = elapsed.components.seconds * 10_000 + elapsed.components.attoseconds / 100_000_000_000_000
        context.logger.info(
            "request",
            metadata: [
                "method": "\(request.method)", "route": "\(context.endpointPath ?? "unmatched")", "status": "\(status)",
                "ms": "\(tenths / 10).\(tenths % 10)",
                "actor": "\(context.actedAs.value ?? "-")",
            ])
    }
}
