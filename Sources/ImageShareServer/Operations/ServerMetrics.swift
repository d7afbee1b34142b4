import CoreMetrics
import ImageShareCore
import Prometheus
import Synchronization

/// The service's Prometheus metrics, recorded through swift-metrics into a registry of this application's own
/// (not the process-wide one, so several applications in one test process keep separate counts).
public struct ServerMetrics: Sendable {
    /// The registry `/metrics` renders.
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let connections: Meter
    private let nonces: Meter
    private let storeTimers: [StoreAccess: CoreMetrics.Timer]
    /// Handles made once per action and code: making them per request meant a registry lookup under its
    /// lock and new objects on every call. Actions are the registry's names and codes the service's own,
    /// so the table stays small.
    private let requestHandles = RequestHandles()

    private final class RequestHandles: Sendable {
        let counters = Mutex<[String: CoreMetrics.Counter]>([:])
        let timers = Mutex<[String: CoreMetrics.Timer]>([:])
    }

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
        storeTimers = Dictionary(
            uniqueKeysWithValues: [StoreAccess.read, .write].map { access in
                (access, CoreMetrics.Timer(
                    label: "imageshare_store_duration_seconds", dimensions: [("kind", access.rawValue)], factory: factory))
            })
    }

    /// One answered RPC request: `code` is `OK` or the ECS error code.
    func recordRequest(action: String, code: String, duration: Duration) {
        let counter = requestHandles.counters.withLock { counters in
            let key = action + " " + code
            if let known = counters[key] { return known }
            let made = CoreMetrics.Counter(
                label: "imageshare_requests_total", dimensions: [("action", action), ("code", code)], factory: factory)
            counters[key] = made
            return made
        }
        let timer = requestHandles.timers.withLock { timers in
            if let known = timers[action] { return known }
            let made = CoreMetrics.Timer(
                label: "imageshare_request_duration_seconds", dimensions: [("action", action)], factory: factory)
            timers[action] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }

    /// One store transaction.
    func recordStore(_ access: StoreAccess, duration: Duration) {
        storeTimers[access]?.recordNanoseconds(duration.nanoseconds)
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
