import Foundation
import LienThongStore
import Metrics
import Prometheus

/// The hub's Prometheus metrics (`GET /metrics`), recorded through swift-metrics into a
/// swift-prometheus registry of this hub's own. Not the process-wide `MetricsSystem`: two hubs in
/// one process (tests) keep separate figures, and nothing else in the process writes into them.
///
/// Counters and the request-latency histogram are recorded as requests happen; the per-node lag,
/// undelivered entries and projector lag are read from the database at each scrape, so they are
/// never stale.
public final class HubMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
        ]
        self.factory = factory
    }

    /// Events of `node` stored by a push.
    func stored(node: String, events: Int) {
        guard events > 0 else { return }
        Counter(label: "lienthong_events_stored_total", dimensions: [("node", node)], factory: factory).increment(by: events)
    }

    /// One pushed batch and how the hub answered it (stored, duplicate, gap, fork, …).
    func batch(outcome: String) {
        Counter(label: "lienthong_push_batches_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// A request or a batch refused, by the reason's code (unauthorized, forbidden, too-large,
    /// bad-request, gap, fork, clone-suspected, epoch-fenced, invalid, …).
    func rejected(reason: String) {
        Counter(label: "lienthong_rejections_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// How long a request took, by route (the protocol's paths; anything else is `other`) and status.
    func request(path: String, method: String, status: Int, duration: Duration) {
        // Bounded label values: anyone may call any path with any method; only known ones are named.
        let route = Self.routes.contains(path) ? path : "other"
        let method = ["GET", "POST", "HEAD", "OPTIONS"].contains(method) ? method : "other"
        Timer(
            label: "lienthong_http_request_duration_seconds", dimensions: [("route", route), ("method", method), ("status", String(status))],
            preferredDisplayUnit: .seconds, factory: factory
        ).recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    static let routes: Set<String> = [
        "/v1/sync/push", "/v1/sync/pull", "/v1/sync/own", "/v1/sync/caps", "/v1/enroll", "/health/live", "/health/ready", "/metrics",
    ]

    /// Reads the database's gauges and renders every metric in Prometheus' text format.
    func scrape(store: any HubStore, now: Int64) throws(StoreError) -> [UInt8] {
        let facts = try store.statusFacts(now: now)
        Gauge(label: "lienthong_projector_lag_events", factory: factory).record(facts.projectorLag)
        Gauge(label: "lienthong_events_stored", factory: factory).record(facts.storedEvents)
        Gauge(label: "lienthong_quarantined_events", factory: factory).record(facts.quarantined)
        for node in facts.nodes where node.enrolledAt != nil {
            let dimensions = [("node", node.node)]
            Gauge(label: "lienthong_node_lag_events", dimensions: dimensions, factory: factory).record(node.lagEvents)
            Gauge(label: "lienthong_node_lag_seconds", dimensions: dimensions, factory: factory)
                .record(Double(node.lagMilliseconds(now: now)) / 1000)
            Gauge(label: "lienthong_node_undelivered_entries", dimensions: dimensions, factory: factory).record(node.undelivered)
            Gauge(label: "lienthong_node_stored_head", dimensions: dimensions, factory: factory).record(node.storedHead)
            Gauge(label: "lienthong_node_last_seen_seconds", dimensions: dimensions, factory: factory)
                .record(node.lastSeenAt.map { Double(now - $0) / 1000 } ?? -1)
        }
        return registry.emitToBuffer()
    }
}
