import Foundation
import Synchronization
import ImageShareCore

/// Token buckets in the database, so that every server of one PostgreSQL database draws from the same bucket.
extension SQLStore: RateLimitStore {
    public func take(bucket: String, limit: RateLimit, now: Date) async throws -> RateDecision {
        try await write { db in
            // Created full first, so that the row exists for the lock below even on a bucket's first use by two
            // servers at once.
            let full = TokenBucket.full(limit, at: now)
            try db.execute(
                "INSERT INTO rate_buckets (bucket, micro_tokens, updated_at) VALUES (?, ?, ?) ON CONFLICT (bucket) DO NOTHING",
                [bucket, full.microTokens, full.updatedAt.storeMillis])
            guard
                let row = try db.fetchOne(
                    "SELECT micro_tokens, updated_at FROM rate_buckets WHERE bucket = ?\(db.dialect.forUpdate)", [bucket])
            else { return .allowed }
            var state = TokenBucket(
                microTokens: try row.get("micro_tokens"), updatedAt: Date(storeMillis: try row.get("updated_at")))
            let decision = state.take(limit, now: now)
            try db.execute(
                "UPDATE rate_buckets SET micro_tokens = ?, updated_at = ? WHERE bucket = ?",
                [state.microTokens, state.updatedAt.storeMillis, bucket])
            return decision
        }
    }
}

/// Token buckets in this process: exact for the one server of an embedded store, and free of disk writes.
public final class InProcessRateBuckets: RateLimitStore {
    /// Each bucket with the limit it was last used under, so that forgetting judges it by its own refill time.
    private let buckets = Mutex<[String: (state: TokenBucket, limit: RateLimit)]>([:])
    /// Buckets full again are forgotten past this many, so idle keys do not accumulate.
    private let maxBuckets: Int

    public init(maxBuckets: Int = 100_000) {
        self.maxBuckets = maxBuckets
    }

    public func take(bucket: String, limit: RateLimit, now: Date) async throws -> RateDecision {
        buckets.withLock { buckets in
            var state = buckets[bucket]?.state ?? .full(limit, at: now)
            let decision = state.take(limit, now: now)
            if buckets.count >= maxBuckets { Self.forgetFull(&buckets, now: now) }
            buckets[bucket] = (state, limit)
            return decision
        }
    }

    /// Drops buckets that would be full by now: forgetting them changes no decision.
    private static func forgetFull(_ buckets: inout [String: (state: TokenBucket, limit: RateLimit)], now: Date) {
        buckets = buckets.filter { now.timeIntervalSince($0.value.state.updatedAt) < $0.value.limit.burst / $0.value.limit.rate }
    }
}
