import CoreMetrics
import ImageShareCore
import Prometheus

/// The service's Prometheus metrics, recorded through swift-metrics into a registry of this application's own
/// (not the process-wide one, so several applications in one test process keep separate counts).
public struct ServerMetrics: Sendable {
    /// The registry `/metrics` renders.
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let connections: Meter
    private let nonces: Meter

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Request latencies of an emulator are mostly far below the default buckets' first 5 ms.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
        ]
        self.factory = factory
        connections = Meter(label: "imageshare_connections", factory: factory)
        nonces = Meter(label: "imageshare_nonces", factory: factory)
        connections.set(0)
    }

    /// One answered RPC request: `code` is `OK` or the ECS error code.
    func recordRequest(action: String, code: String, duration: Duration) {
        Counter(label: "imageshare_requests_total", dimensions: [("action", action), ("code", code)], factory: factory)
            .increment()
        CoreMetrics.Timer(label: "imageshare_request_duration_seconds", dimensions: [("action", action)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    /// One store transaction.
    func recordStore(_ access: StoreAccess, duration: Duration) {
        CoreMetrics.Timer(label: "imageshare_store_duration_seconds", dimensions: [("kind", access.rawValue)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    func connectionOpened() { connections.increment() }
    func connectionClosed() { connections.decrement() }

    /// How many signature nonces the store remembers.
    func recordNonceCount(_ count: Int) { nonces.set(count) }

    /// The Prometheus text exposition of everything above.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}

extension Duration {
    /// The whole duration in nanoseconds, saturating at `Int64.max`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}
