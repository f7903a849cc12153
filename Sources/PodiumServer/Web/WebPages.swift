import Foundation
import Hummingbird
import Mustache
import NIOCore
import PodiumCore
import WorkflowEngine

/// The inbox's and console's HTML: swift-mustache templates shipped as resources (HTML-escaped
/// by default: what people typed is always text), one stylesheet served by Podium itself, and
/// the headers every page carries.
struct WebPages: Sendable {
    let library: MustacheLibrary
    let stylesheet: ByteBuffer

    /// Loads every template in the `Templates` resource folder and the stylesheet.
    ///
    /// - Throws: ``PodiumError`` `.schema` when a resource is missing or a template does not
    ///   parse: a broken build, reported when the server starts.
    init() throws {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil),
            let css = Bundle.module.url(forResource: "podium", withExtension: "css", subdirectory: "Static")
        else { throw PodiumError(.schema, "the page templates are missing from the PodiumServer resources") }
        var library = MustacheLibrary()
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
            $0.hasSuffix(".mustache")
        }
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            do {
                try library.register(text, named: String(name.dropLast(".mustache".count)))
            } catch {
                throw PodiumError(.schema, "the page template \(name) does not parse: \(error)")
            }
        }
        self.library = library
        stylesheet = ByteBuffer(data: try Data(contentsOf: css))
    }

    /// `template` rendered with `object` as an HTML response.
    func render(_ template: String, _ object: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:])
        -> Response
    {
        guard let html = library.render(object, withTemplate: template) else {
            return Response(
                status: .internalServerError, headers: Self.headers,
                body: .init(byteBuffer: ByteBuffer(string: "missing template \(template)")))
        }
        var fields = Self.headers
        fields.append(contentsOf: headers)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A redirect after a form (303: the browser GETs the new page, so a reload does not post again).
    static func seeOther(_ location: String, headers: HTTPFields = [:]) -> Response {
        var fields = Self.headers
        fields[.location] = location
        fields.append(contentsOf: headers)
        return Response(status: .seeOther, headers: fields)
    }

    /// What every page sends: HTML; no script at all and styles from Podium only (a comment
    /// that slipped past escaping still could not run); never framed (clickjacking); never cached
    /// or stored (the pages are a person's own); and a `Referer` for Podium's own pages only (a
    /// link's token never leaks to another site; `no-referrer` would make browsers send
    /// `Origin: null` with Podium's own forms).
    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .init("X-Content-Type-Options")!: "nosniff",
        .init("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]
}

/// The part of every page around its content: its title, who is signed in, and a message.
struct PageChrome {
    let title: String
    /// The signed-in person's name, or nil (no navigation then).
    let person: String?
    let csrf: String
    let isOperator: Bool
    var notice: String?
    var error: String?
    var errorHint: String?

    init(_ title: String, session: WebSession?, notice: String? = nil, error: String? = nil, errorHint: String? = nil) {
        self.title = title
        person = session.map { "\($0.actor.name) (\($0.actor.handle))" }
        csrf = session?.csrfToken ?? ""
        isOperator = session.map { !Set($0.actor.roles).isDisjoint(with: TaskAdmin.operatorRoles) } ?? false
        self.notice = notice
        self.error = error
        self.errorHint = errorHint
    }
}
