import Foundation
import HTTPTypes
import Hummingbird
import LienThongCore
import LienThongHTTP
import LienThongStore
import LienThongWire
import Logging
import NIOCore

/// Health for a supervisor or a load balancer, and Prometheus metrics: no credential, nothing personal.
struct HealthController {
    let service: HubService
    let metrics: HubMetrics
    let now: @Sendable () -> Int64

    func addRoutes(to router: Router<HubRequestContext>) {
        // Health for a supervisor or a load balancer: no credential, nothing personal.
        router.get(RouterPath(SyncPaths.live)) { request, context -> Response in
            let body: JSONValue = ["status": "live", "hub": .string(service.identity.origin)]
            return HubApplication.respond(CanonicalJSON.encode(body), to: request)
        }
        router.get(RouterPath(SyncPaths.ready)) { request, context -> Response in
            let progress: (projected: Int, stored: Int)
            do {
                progress = try await HubApplication.offloaded { try service.store.projectorProgress() }
            } catch let error as StoreError {
                throw HubError.store(error)  // 503, cause logged
            }
            let body: JSONValue = [
                "status": "ready", "hub": .string(service.identity.origin), "projectorLag": .integer(progress.stored - progress.projected),
            ]
            return HubApplication.respond(CanonicalJSON.encode(body), to: request)
        }
        // Prometheus metrics: no credential (like health), nothing personal: counts, lags, latencies.
        router.get(RouterPath(SyncPaths.metrics)) { request, context -> Response in
            let text: [UInt8]
            do {
                text = try await HubApplication.offloaded { try metrics.scrape(store: service.store, now: now()) }
            } catch let error as StoreError {
                throw HubError.store(error)
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}
