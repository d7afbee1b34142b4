import Foundation
import Synchronization

/// The service's clock: the real one, moved forward by the control endpoint so that tests need not wait
/// (images in `Creating` become `Available`, retention periods end).
public final class ServiceClock: Sendable {
    private let base: @Sendable () -> Date
    private let offset = Mutex<TimeInterval>(0)

    public init(base: @escaping @Sendable () -> Date) {
        self.base = base
    }

    public func now() -> Date { base().addingTimeInterval(offset.withLock { $0 }) }

    /// How far the clock has been moved.
    public var offsetSeconds: TimeInterval { offset.withLock { $0 } }

    /// Moves the clock forward (never back: what was created stays in the past).
    public func advance(by seconds: TimeInterval) {
        offset.withLock { $0 += max(0, seconds) }
    }

    public func reset() { offset.withLock { $0 = 0 } }
}
