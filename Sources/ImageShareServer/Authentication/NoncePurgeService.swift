import Foundation
import ImageShareCore
import Logging
import ServiceLifecycle

/// Forgets expired signature nonces once a minute, so the store remembers no more than the replay window;
/// its first run, at start, is also when an SQLite store reads its nonce log back into memory.
struct NoncePurgeService: Service {
    let store: any CredentialStore
    let now: @Sendable () -> Date
    let logger: Logger
    /// Told how many nonces remain after each purge (the metrics' nonce gauge).
    var remembered: @Sendable (Int) -> Void = { _ in }
    var interval: Duration = .seconds(60)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    remembered(try await store.purgeNonces(expiredBefore: now()))
                } catch {
                    logger.warning("purging expired nonces failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
