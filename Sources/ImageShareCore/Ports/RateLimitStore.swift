import Foundation

/// Where token buckets live: in the process for one server, in the database for several sharing one.
public protocol RateLimitStore: Sendable {
    /// Takes one token from the bucket named `bucket`, shaped by `limit`, refilled up to `now`.
    func take(bucket: String, limit: RateLimit, now: Date) async throws -> RateDecision
}
