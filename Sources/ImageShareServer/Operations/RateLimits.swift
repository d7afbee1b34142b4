import Foundation
import ImageShareCore

/// The flow control of signed requests: a bucket per AccessKey and one per AccessKey and action, each
/// answering `Throttling` with `x-acs-retry-after` when empty. Off unless configured.
public struct RateLimits: Sendable {
    /// Every request of one AccessKey (`--rate-limit`).
    public var perAccessKey: RateLimit?
    /// Requests of one AccessKey to one action (`--action-rate-limit Action=RATE[/BURST]`).
    public var perAction: [String: RateLimit]

    public init(perAccessKey: RateLimit? = nil, perAction: [String: RateLimit] = [:]) {
        self.perAccessKey = perAccessKey
        self.perAction = perAction
    }

    public var isEnabled: Bool { perAccessKey != nil || !perAction.isEmpty }
}

/// `RateLimits` applied to a store of buckets.
struct RateLimiter: Sendable {
    let limits: RateLimits
    let buckets: any RateLimitStore

    /// Takes the caller's tokens, action bucket first so that a request refused there costs no key token.
    func admit(caller: Caller, action: String, now: Date) async throws {
        guard limits.isEnabled else { return }
        if let limit = limits.perAction[action],
            case let .refused(wait) = try await buckets.take(
                bucket: "action \(caller.accessKeyId) \(action)", limit: limit, now: now)
        {
            throw ECSError.throttled(retryAfterMilliseconds: wait)
        }
        if let limit = limits.perAccessKey,
            case let .refused(wait) = try await buckets.take(bucket: "key \(caller.accessKeyId)", limit: limit, now: now)
        {
            throw ECSError.throttled(retryAfterMilliseconds: wait)
        }
    }
}
