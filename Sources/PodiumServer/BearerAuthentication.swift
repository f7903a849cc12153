import Foundation
import Hummingbird
import PodiumCore
import Synchronization

/// Reads `Authorization: Bearer pdm_...`, finds the person the token acts for
/// (``TokenStore/authenticate(_:)``, remembered for ``AuthenticatedTokens/lifetime``) and puts
/// them in the context; every API route (`/api/`, `/metrics`) but the open ones (``openPaths``)
/// is refused with 401 without one. The people's pages sign in with a session instead
/// (``WebSessionMiddleware``).
///
/// Failed attempts are limited per client address (``FailedAttemptLimiter``): past the limit,
/// the client gets 429 with `Retry-After` before its token is even looked at. The token itself is
/// never logged, never echoed in an error.
struct BearerAuthentication: RouterMiddleware {
    typealias Context = APIRequestContext

    /// Paths anyone may read: liveness, readiness and the API's own description.
    static let openPaths: Set<String> = ["/healthz", "/readyz", "/api/v1/openapi.json"]

    let tokens: TokenStore
    let limiter: FailedAttemptLimiter
    let remembered = AuthenticatedTokens()

    init(tokens: TokenStore, limiter: FailedAttemptLimiter) {
        self.tokens = tokens
        self.limiter = limiter
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        if Self.openPaths.contains(path) || !(path.hasPrefix("/api/") || path == "/api" || path == "/metrics") {
            return try await next(request, context)
        }
        if let wait = await limiter.retryAfter(context.clientAddress) {
            throw Problem(
                status: .tooManyRequests, code: "unauthenticated.rate_limited",
                detail: "too many failed attempts to authenticate from this address; wait \(wait) s",
                headers: [.retryAfter: "\(wait)"])
        }
        guard let header = request.headers[.authorization] else {
            throw Problem(
                status: .unauthorized, code: "unauthenticated.missing",
                detail: "send Authorization: Bearer with a personal token",
                hint: "a person makes one with podium token create",
                headers: [.wwwAuthenticate: "Bearer realm=\"podium\""])
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            await limiter.recordFailure(context.clientAddress)
            throw Problem(
                status: .unauthorized, code: "unauthenticated.scheme",
                detail: "only Bearer tokens are accepted", headers: [.wwwAuthenticate: "Bearer realm=\"podium\""])
        }
        var context = context
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        let digest = TokenStore.digest(token)
        if let known = remembered.actor(for: digest) {
            context.caller = known
        } else {
            do {
                let found = try await tokens.authenticate(token)
                remembered.remember(found.actor, for: digest, tokenExpiresAt: found.expiresAt)
                context.caller = found.actor
            } catch let error as PodiumError where error.kind == .unauthenticated {
                await limiter.recordFailure(context.clientAddress)
                throw Problem(error)
            }
        }
        context.actedAs.value = context.caller?.handle
        return try await next(request, context)
    }
}

/// Counts failed authentications per client address in a sliding window and says how long a
/// client that failed too often must wait. In memory, per process: a limit on guessing, not an
/// account lockout (a token has 256 random bits; nothing here is meant to be guessable).
actor FailedAttemptLimiter {
    let limit: Int
    let window: TimeInterval
    private var failures: [String: [Date]] = [:]

    /// At most `limit` failures per `window` seconds from one address.
    init(limit: Int = 10, window: TimeInterval = 60) {
        self.limit = limit
        self.window = window
    }

    func recordFailure(_ address: String, at now: Date = Date()) {
        failures[address, default: []].append(now)
        if failures.count > 10_000 { forgetOld(now) }
    }

    /// Seconds to wait before trying again, or nil when the address may try now.
    func retryAfter(_ address: String, at now: Date = Date()) -> Int? {
        guard var recent = failures[address] else { return nil }
        recent.removeAll { now.timeIntervalSince($0) >= window }
        failures[address] = recent.isEmpty ? nil : recent
        guard recent.count >= limit, let oldest = recent.first else { return nil }
        return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
    }

    private func forgetOld(_ now: Date) {
        failures = failures.compactMapValues { dates in
            let recent = dates.filter { now.timeIntervalSince($0) < window }
            return recent.isEmpty ? nil : recent
        }
    }
}

/// Tokens authenticated in the last ``lifetime``, by their SHA-256, so a client making many calls
/// costs one lookup every few seconds rather than one per call (the lookup was a third of a
/// transition's database round trips). The price: a token revoked or a role changed elsewhere
/// takes effect on this server within ``lifetime``; an expiry never waits.
final class AuthenticatedTokens: Sendable {
    /// How long an authentication is remembered: 10 s.
    static let lifetime: TimeInterval = 10
    private let entries = Mutex<[String: (actor: ActorRecord, until: Date)]>([:])

    /// The person a remembered token acts for, or nil.
    func actor(for digest: String, at now: Date = Date()) -> ActorRecord? {
        entries.withLock { entries in
            guard let entry = entries[digest] else { return nil }
            guard entry.until > now else {
                entries[digest] = nil
                return nil
            }
            return entry.actor
        }
    }

    /// Remembers an authentication until ``lifetime`` from now or the token's expiry, whichever is first.
    func remember(_ actor: ActorRecord, for digest: String, tokenExpiresAt: Date, at now: Date = Date()) {
        entries.withLock { entries in
            if entries.count >= 10_000 { entries = entries.filter { $0.value.until > now } }
            entries[digest] = (actor, min(tokenExpiresAt, now.addingTimeInterval(Self.lifetime)))
        }
    }
}
