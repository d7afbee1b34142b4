import Synchronization

/// What operators ask of the store: that it answers, that its schema is current (`/readyz`), and how long
/// its transactions take (`/metrics`).
public protocol StoreHealth: Sendable {
    /// Names of the migrations the database has not applied; throws when the store cannot be reached.
    func pendingMigrations() async throws -> [String]
    /// Where the store reports each transaction's duration.
    var latency: StoreLatencyHook { get }
}

/// Which kind of store transaction a measured duration belongs to.
public enum StoreAccess: String, Sendable {
    case read, write
}

/// Where the store reports how long each transaction took; the server's metrics listen here.
///
/// A hook rather than a dependency on a metrics library, so the store stays free of the server's choices.
public final class StoreLatencyHook: Sendable {
    private let listener = Mutex<(@Sendable (StoreAccess, Duration) -> Void)?>(nil)

    public init() {}

    /// Sends every later duration to `listener` (replacing any earlier one).
    public func listen(_ listener: @escaping @Sendable (StoreAccess, Duration) -> Void) {
        self.listener.withLock { $0 = listener }
    }

    /// Reports one transaction's duration.
    public func record(_ access: StoreAccess, _ duration: Duration) {
        listener.withLock { $0 }?(access, duration)
    }
}
