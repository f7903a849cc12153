import Foundation
import NIOCore
import PodiumCore
import Yams

/// The committed contract, `openapi.yaml` (shipped in this module's resources): served as JSON at
/// `/api/v1/openapi.json`, and read for the methods each path allows, so a request with a method
/// the contract does not list gets 405 with `Allow`, not 404.
struct OpenAPIDocument: Sendable {
    /// The document as JSON.
    let json: ByteBuffer
    /// Each path template's segments (`{id}` matches any one segment) and its methods, upper-case.
    private let routes: [(segments: [Substring], methods: [String])]

    /// Reads the shipped document.
    ///
    /// - Throws: ``PodiumError`` `.schema` when the resource is missing or not an OpenAPI
    ///   document: a broken build, reported when the server starts.
    init() throws {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw PodiumError(.schema, "openapi.yaml is missing from the PodiumServer resources")
        }
        guard let document = try Yams.load(yaml: try String(contentsOf: url, encoding: .utf8)) as? [String: Any],
            let paths = document["paths"] as? [String: [String: Any]]
        else {
            throw PodiumError(.schema, "openapi.yaml is not an OpenAPI document with paths")
        }
        json = ByteBuffer(
            bytes: try JSONSerialization.data(
                withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes]))
        let verbs: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        routes = paths.map { template, operations in
            (template.split(separator: "/"), operations.keys.filter(verbs.contains).map { $0.uppercased() }.sorted())
        }
    }

    /// The methods the contract lists for `path`, or nil when no path template matches it.
    func methods(for path: String) -> [String]? {
        let segments = path.split(separator: "/")
        let matches = routes.filter { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { template, segment in
                    template.hasPrefix("{") || template == segment
                }
        }
        // A literal segment beats a parameter: /workflows/validate is not /workflows/{name}.
        return matches.min { $0.segments.count { $0.hasPrefix("{") } < $1.segments.count { $0.hasPrefix("{") } }?
            .methods
    }
}
