import Foundation
import Hummingbird
import PodiumCore

/// An error answered as `application/problem+json` (RFC 9457): the HTTP status, Podium's stable
/// error code (the same one the CLI prints with `--json`), what went wrong for this request, and
/// what would work.
///
/// Every failure leaves the API as one of these; clients branch on `code`, never on `detail`.
struct Problem: Error, HTTPResponseError, Sendable {
    let status: HTTPResponse.Status
    /// Podium's stable error code: `refused.own_work`, `conflict.revision`, `input.unknown_field`.
    let code: String
    /// What went wrong with this request, in one sentence for people.
    let detail: String
    /// What would work instead, when there is something to say.
    let hint: String?
    /// What the error is about (`item`, `handle`, `role`, ...).
    let details: [String: String]
    /// Extra response headers: `WWW-Authenticate`, `Retry-After`.
    let headers: HTTPFields

    init(
        status: HTTPResponse.Status, code: String, detail: String, hint: String? = nil,
        details: [String: String] = [:], headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.detail = detail
        self.hint = hint
        self.details = details
        self.headers = headers
    }

    /// The problem a core error is over HTTP. A refusal is 403 when it is about who is asking
    /// (``forbiddingReasons``), 404 for a transition the workflow does not have, and 409 when it
    /// is about the state of things (`closed`, `wrong_stage`, `missing_requirements`,
    /// `already_assigned`, ...); a stale `If-Match` is 412 and a reused idempotency key 422
    /// (RFC 9110; the IETF idempotency-key draft).
    init(_ error: PodiumError) {
        let reason = error.code.split(separator: ".", maxSplits: 1).dropFirst().first.map(String.init)
        var headers: HTTPFields = [:]
        let status: HTTPResponse.Status
        switch error.kind {
        case .usage: status = .unprocessableContent
        case .notFound: status = .notFound
        case .refused:
            switch reason {
            case let reason? where Self.forbiddingReasons.contains(reason): status = .forbidden
            case "unknown_transition": status = .notFound
            default: status = .conflict
            }
        case .conflict:
            switch reason {
            case "revision": status = .preconditionFailed
            case "idempotency_key": status = .unprocessableContent
            default: status = .conflict
            }
        case .unauthenticated:
            status = .unauthorized
            headers[.wwwAuthenticate] = "Bearer realm=\"podium\", error=\"invalid_token\""
        case .database, .schema:
            status = .serviceUnavailable
            headers[.retryAfter] = "5"
        default: status = .internalServerError
        }
        self.init(
            status: status, code: error.code, detail: error.message, hint: error.hint, details: error.details,
            headers: headers)
    }

    /// Refusals about who is asking rather than about the item: 403.
    static let forbiddingReasons: Set<String> = [
        "not_permitted", "own_work", "timer_only", "not_admin", "not_participant",
    ]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        let body = Body(
            type: "urn:podium:problem:\(code)", title: status.reasonPhrase, status: status.code, code: code,
            detail: detail, hint: hint, details: details.isEmpty ? nil : details)
        let data = try APIJSON.encoder().encode(body)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The members RFC 9457 defines (`type`, `title`, `status`, `detail`) and Podium's extensions.
    struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let code: String
        let detail: String
        let hint: String?
        let details: [String: String]?
    }
}
