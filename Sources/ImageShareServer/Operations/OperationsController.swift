import Hummingbird
import ImageShareCore
import NIOCore

/// What operators and orchestrators probe: `/healthz` (the process answers), `/readyz` (the store answers and
/// its schema is current) and `/metrics` (Prometheus). None needs a signature; none reveals account data.
struct OperationsController: Sendable {
    let health: any StoreHealth
    let metrics: ServerMetrics

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/healthz") { _, _ in "ok" }
        router.get("/readyz") { _, _ in await readiness() }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }

    private func readiness() async -> Response {
        let reason: String?
        do {
            let pending = try await health.pendingMigrations()
            reason = pending.isEmpty ? nil : "migrations pending: \(pending.joined(separator: ", "))"
        } catch {
            reason = "the store does not answer: \(error)"
        }
        return Response(
            status: reason == nil ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: (reason ?? "ready") + "\n")))
    }
}
