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
    /// The listener lives in a class box: a function value kept directly in the mutex's generic storage was
    /// re-wrapped in one more reabstraction thunk by every `withLock` that read it, so each transaction made
    /// the next report slower (found by bench/run: a server slowed down the longer it ran).
    private final class Listener: Sendable {
        let call: @Sendable (StoreAccess, Duration) -> Void
        init(_ call: @escaping @Sendable (StoreAccess, Duration) -> Void) { self.call = call }
    }

    private let listener = Mutex<Listener?>(nil)

    public init() {}

    /// Sends every later duration to `listener` (replacing any earlier one).
    public func listen(_ listener: @escaping @Sendable (StoreAccess, Duration) -> Void) {
        let box = Listener(listener)
        self.listener.withLock { $0 = box }
    }

    /// Reports one transaction's duration.
    public func record(_ access: StoreAccess, _ duration: Duration) {
        let current = listener.withLock { $0 }
        current?.call(access, duration)
    }
}
