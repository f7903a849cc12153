import Foundation
import Hummingbird
import PodiumCore

/// The open routes: `/healthz` (the process answers), `/readyz` (the database answers and has
/// every migration this Podium ships) and `/api/v1/openapi.json` (the API's contract).
struct HealthRoutes {
    let services: PodiumServices
    let migrator: Migrator
    let openAPI: OpenAPIDocument

    func add(to router: Router<APIRequestContext>) {
        router.get("/healthz") { _, _ in try APIJSON.response(Status(status: "ok", detail: nil)) }
        router.get("/readyz") { _, context in
            do {
                let pending = try await services.pool.withConnection { try await migrator.pending(on: $0) }
                guard pending.isEmpty else {
                    return try APIJSON.response(
                        Status(
                            status: "migrations_pending",
                            detail: "\(pending.count) migration(s) to apply: run podium migrate"),
                        status: .serviceUnavailable)
                }
                return try APIJSON.response(Status(status: "ready", detail: nil))
            } catch {
                // Anyone may ask; only the log says where the database is and what it answered.
                context.logger.error("not ready", metadata: ["error": "\(error)"])
                let status =
                    (error as? PodiumError)?.kind == .schema ? "schema_not_as_expected" : "database_unavailable"
                return try APIJSON.response(Status(status: status, detail: nil), status: .serviceUnavailable)
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
