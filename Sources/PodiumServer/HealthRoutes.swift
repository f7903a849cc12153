import Foundation
import Hummingbird
import LibPQ
import PodiumCore

/// The open routes: `/healthz` (the process answers), `/readyz` (the database answers and has
/// every migration this Podium ships) and `/api/v1/openapi.json` (the API's contract).
struct HealthRoutes {
    let services: PodiumServices
    let migrator: Migrator
    let openAPI: OpenAPIDocument

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
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: openAPI.json))
        }
    }

    struct Status: Encodable {
        let status: String
        let detail: String?
    }

}
