import Foundation
import Hummingbird
import LibPQ
import PodiumCore
import Yams

/// The open routes: `/healthz` (the process answers), `/readyz` (the database answers and has
/// every migration this Podium ships) and `/api/v1/openapi.json` (the API's contract).
struct HealthRoutes {
    let services: PodiumServices
    let migrator: Migrator
    let openAPI: ByteBuffer

    func add(to router: Router<APIRequestContext>) {
        router.get("/healthz") { _, _ in try APIJSON.response(Status(status: "ok", detail: nil)) }
        router.get("/readyz") { _, _ in
            do {
                let pending = try await services.pool.withConnection { try await migrator.pending(on: $0) }
                guard pending.isEmpty else {
                    return try APIJSON.response(
                        Status(
                            status: "migrations_pending",
                            detail: "run podium migrate: \(pending.map(\.name).joined(separator: ", "))"),
                        status: .serviceUnavailable)
                }
                return try APIJSON.response(Status(status: "ready", detail: nil))
            } catch let error as PodiumError {
                return try APIJSON.response(
                    Status(status: "not_ready", detail: error.message), status: .serviceUnavailable)
            } catch let error as PostgresError {
                return try APIJSON.response(
                    Status(status: "database_unavailable", detail: error.description), status: .serviceUnavailable)
            }
        }
        router.get("/api/v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: openAPI))
        }
    }

    struct Status: Encodable {
        let status: String
        let detail: String?
    }

    /// The committed OpenAPI document (`openapi.yaml`, shipped with this module) as JSON.
    ///
    /// - Throws: when the resource is missing or not YAML: a build error, reported at start.
    static func openAPIDocument() throws -> ByteBuffer {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw PodiumError(.schema, "openapi.yaml is missing from the PodiumServer resources")
        }
        let yaml = try String(contentsOf: url, encoding: .utf8)
        guard let document = try Yams.load(yaml: yaml) else {
            throw PodiumError(.schema, "openapi.yaml is empty")
        }
        let data = try JSONSerialization.data(
            withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        return ByteBuffer(bytes: data)
    }
}
