import Foundation
import ImageShareCore
import ImageShareStore
import Testing

@Suite("store: in-process rate buckets")
struct RateBucketTests {
    @Test("forgetting idle buckets judges each by its own limit: a slow bucket is kept while it refills")
    func forgetsOnlyFullBuckets() async throws {
        let buckets = InProcessRateBuckets(maxBuckets: 2)
        let start = Date(timeIntervalSince1970: 1_000)
        let slow = try #require(RateLimit(rate: 1.0 / 60, burst: 1))
        let fast = try #require(RateLimit(rate: 1_000, burst: 1))
        #expect(try await buckets.take(bucket: "slow", limit: slow, now: start) == .allowed)
        #expect(try await buckets.take(bucket: "fast", limit: fast, now: start) == .allowed)
        // A third bucket makes room: "fast" is full again after a second, "slow" is not.
        let later = start.addingTimeInterval(1)
        #expect(try await buckets.take(bucket: "other", limit: fast, now: later) == .allowed)
        #expect(try await buckets.take(bucket: "slow", limit: slow, now: later) != .allowed)
    }
}
