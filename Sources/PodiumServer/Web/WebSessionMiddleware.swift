import Foundation
import Hummingbird
import Logging
import NIOCore
import PodiumCore

/// Finds the session a page request's cookie holds and puts it in the context; pages that need
/// one ask ``APIRequestContext/requireSession(_:)``. Errors on the pages become pages
/// (``WebErrorPage``), never JSON.
struct WebSessionMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let sessions: WebSessions
    let pages: WebPages
    /// Where people reach the server (``WebSettings/publicURL``), the origin its forms come from.
    let publicURL: String

    /// The session cookie's name.
    static let cookieName = "podium_session"

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        do {
            if request.method != .get && request.method != .head {
                try Self.requireSameOrigin(request, publicURL: publicURL)
            }
            if let cookie = request.cookies[Self.cookieName]?.value, !cookie.isEmpty,
                let session = try await sessions.session(cookie)
            {
                context.session = session
                context.actedAs.value = session.actor.handle
            }
            return try await next(request, context)
        } catch let needed as SignInNeeded {
            // After signing in the browser GETs `next`: a form's address is no page, so a form
            // posted after the session ended returns to its item's page (or the inbox).
            let back = request.method == .get ? needed.path : Self.pageOf(needed.path)
            return WebPages.seeOther(
                "/signin?next=\(back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
        } catch {
            return WebErrorPage.response(for: error, request: request, context: context, pages: pages)
        }
    }
}

extension WebSessionMiddleware {
    /// The page a form at `path` was on: `/items/4` for `/items/4/transitions/approve`, else the inbox.
    static func pageOf(_ path: String) -> String {
        let parts = path.split(separator: "/")
        guard parts.count >= 2, parts[0] == "items", Int(parts[1]) != nil else { return "/inbox" }
        return "/items/\(parts[1])"
    }

    /// Refuses a form posted from another site: browsers say where a request comes from
    /// (`Sec-Fetch-Site`, `Origin`), and a page elsewhere must not sign a browser in as someone
    /// else (login CSRF) nor post to a link. Forms of a session carry their CSRF token besides.
    ///
    /// - Throws: ``Problem`` 403 for a cross-site or opaque origin.
    static func requireSameOrigin(_ request: Request, publicURL: String) throws {
        let refused = Problem(
            status: .forbidden, code: "refused.cross_site",
            detail: "This form was sent from another site, so nothing was done.",
            hint: "Open Podium's page yourself and use its button.")
        // Browsers say it outright: `same-origin` for Podium's own pages, `none` for a request
        // the person made themselves; `same-site` (a sibling host) and `cross-site` are refused.
        if let site = request.headers[.init("Sec-Fetch-Site")!]?.lowercased() {
            guard site == "same-origin" || site == "none" else { throw refused }
            return
        }
        // Older browsers: the Origin, when sent, must be this server, as people reach it
        // (`PODIUM_PUBLIC_URL`) or as this request was addressed, under the public URL's scheme.
        guard let origin = request.headers[.origin]?.lowercased() else { return }
        let publicURL = URL(string: publicURL)
        let scheme = publicURL?.scheme?.lowercased() ?? "http"
        var allowed: Set<String> = []
        if let publicURL, let host = publicURL.host {
            allowed.insert("\(scheme)://\(host.lowercased())" + (publicURL.port.map { ":\($0)" } ?? ""))
        }
        if let authority = request.head.authority { allowed.insert("\(scheme)://\(authority.lowercased())") }
        guard allowed.contains(origin) else { throw refused }
    }
}

/// Thrown by a page that needs a signed-in person when there is none: the browser is sent to
/// sign in, and back here after.
struct SignInNeeded: Error {
    let path: String
}

extension APIRequestContext {
    /// The signed-in session.
    ///
    /// - Throws: ``SignInNeeded`` when nobody is signed in.
    func requireSession(_ request: Request) throws -> WebSession {
        guard let session else { throw SignInNeeded(path: request.uri.path) }
        return session
    }
}

/// An error on a page, as a page: the same status and words as the API's problem documents
/// (``Problem``), with a way back; a failure of the server's own says only that it was logged.
enum WebErrorPage {
    struct View {
        let page: PageChrome
        let heading: String
        let message: String
        let hint: String?
        let itemLink: String?
        let back: String
        let backLabel: String
    }

    static func response(for error: any Error, request: Request, context: APIRequestContext, pages: WebPages)
        -> Response
    {
        let problem: Problem
        switch error {
        case let error as Problem: problem = error
        case let error as PodiumError where error.kind == .database || error.kind == .schema:
            context.logger.error("database unavailable", metadata: ["error": "\(error.message)"])
            problem = Problem(
                status: .serviceUnavailable, code: error.code,
                detail: "Podium cannot reach its database just now; nothing was changed. Try again in a minute.")
        case let error as PodiumError: problem = Problem(error)
        default:
            context.logger.error("page failed", metadata: ["error": "\(String(reflecting: error))"])
            problem = Problem(
                status: .internalServerError, code: "internal",
                detail: "Something failed on our side; it is logged with request id \(context.requestID).")
        }
        let heading: String
        switch problem.status.code {
        case 403: heading = "Not yours to do"
        case 404: heading = "Not found"
        case 409, 412: heading = "This has moved on"
        case 410: heading = "This link no longer works"
        case 503: heading = "Podium is unavailable"
        case 500...: heading = "Something went wrong"
        default: heading = "That did not work"
        }
        let view = View(
            page: PageChrome(heading, session: context.session), heading: heading, message: problem.detail,
            hint: problem.hint, itemLink: problem.details["item"].flatMap(Int.init).map { "/items/\($0)" },
            back: context.session == nil ? "/signin" : "/inbox",
            backLabel: context.session == nil ? "Sign in" : "Back to my tasks")
        // Its headers too: `Retry-After` with a 503, `Allow` with a 405.
        return pages.render("error", view, status: problem.status, headers: problem.headers)
    }
}

/// A form a page posted (`application/x-www-form-urlencoded`), read with Hummingbird's decoder.
struct WebForm {
    let fields: [String: String]

    /// The largest form read: 64 KiB.
    static let limit = 64 * 1024

    subscript(_ name: String) -> String? { fields[name] }

    /// Reads the request's form.
    ///
    /// - Throws: ``Problem`` 415 for another content type, 400 for a form that does not decode,
    ///   422 for NUL in a value, 413 past ``limit``.
    static func read(_ request: Request) async throws -> WebForm {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        let parameters = type.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parameters.first == "application/x-www-form-urlencoded",
            parameters.dropFirst().allSatisfy({ !$0.hasPrefix("charset=") || $0 == "charset=utf-8" })
        else {
            throw Problem(
                status: .unsupportedMediaType, code: "input.content_type",
                detail: "pages post forms (application/x-www-form-urlencoded, UTF-8)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw Problem(
                status: .contentTooLarge, code: "input.too_large", detail: "the form is larger than \(limit / 1024) KiB"
            )
        }
        guard let text = String(validating: Array(buffer.readableBytesView), as: UTF8.self),
            text.split(separator: "&").allSatisfy({ pair in
                pair.replacingOccurrences(of: "+", with: " ").removingPercentEncoding != nil
            })
        else {
            throw Problem(status: .badRequest, code: "input.encoding", detail: "the form is not UTF-8 text")
        }
        let fields: [String: String]
        do {
            fields = text.isEmpty ? [:] : try URLEncodedFormDecoder().decode([String: String].self, from: text)
        } catch {
            throw Problem(status: .badRequest, code: "input.form", detail: "the form could not be read")
        }
        if fields.contains(where: { $0.key.contains("\0") || $0.value.contains("\0") }) {
            throw Problem(
                status: .unprocessableContent, code: "input.nul", detail: "text may not contain NUL characters")
        }
        return WebForm(fields: fields)
    }

    /// Reads the form of a signed-in page and checks it carries the session's CSRF token.
    ///
    /// - Throws: ``SignInNeeded`` without a session; ``Problem`` 403 when the token is missing or
    ///   wrong (a form from another site, or from a session that ended).
    static func read(_ request: Request, session context: APIRequestContext) async throws -> (WebForm, WebSession) {
        let session = try context.requireSession(request)
        let form = try await read(request)
        guard let sent = form["csrf"], constantTimeEqual(sent, session.csrfToken) else {
            throw Problem(
                status: .forbidden, code: "refused.csrf",
                detail: "This form did not come from your Podium session, so nothing was done.",
                hint: "Reload the page and try again.")
        }
        return (form, session)
    }

    static func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let (a, b) = (Array(left.utf8), Array(right.utf8))
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Where a page may send the browser back to after signing in: a path on this server only.
enum SafeReturn {
    /// `text` when it is a path of this server (`/items/4`): it starts with one `/`, and holds no
    /// backslash, scheme, control character or second leading slash that a browser could read as
    /// another site; nil otherwise.
    static func path(_ text: String?) -> String? {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), text.utf8.count <= 512,
            !text.contains("\\"), !text.contains(":"),
            text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return nil }
        return text
    }

    /// A safe path as a query value.
    static func encoded(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "/-._~"))) ?? ""
    }
}
