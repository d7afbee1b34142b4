import ImageShareCore
import Synchronization

/// Enabled access keys by ID, so that a request need not read and decrypt its key from the store.
///
/// Safe to hold because a key's secret never changes (rotation issues a new key ID), and the one thing that
/// does change, whether the key is enabled, is checked again inside every nonce claim's transaction. The test
/// control endpoint can replace the whole state (reset, snapshot restore, state import), where a key ID may
/// come back with another secret: it forgets every cached key when it does.
final class AccessKeyCache: Sendable {
    private let keys = Mutex<[String: AccessKey]>([:])
    /// Bounds memory with many keys; filling up starts the cache afresh rather than tracking recency.
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func key(_ id: String) -> AccessKey? {
        keys.withLock { $0[id] }
    }

    func remember(_ key: AccessKey) {
        keys.withLock { keys in
            if keys.count >= capacity { keys.removeAll(keepingCapacity: true) }
            keys[key.id] = key
        }
    }

    func forget(_ id: String) {
        _ = keys.withLock { $0.removeValue(forKey: id) }
    }

    func forgetAll() {
        keys.withLock { $0.removeAll() }
    }
}
