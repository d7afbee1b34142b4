import Foundation

/// A token bucket's shape: `rate` tokens a second, holding at most `burst`.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    public let rate: Double
    public let burst: Double

    /// Rates below one a minute or above a million a second are mistakes, not limits.
    public static let rates: ClosedRange<Double> = (1.0 / 60)...1_000_000

    public init?(rate: Double, burst: Double? = nil) {
        let burst = burst ?? max(rate, 1)
        guard Self.rates.contains(rate), burst >= 1, burst <= 1_000_000 else { return nil }
        self.rate = rate
        self.burst = burst
    }

    /// `RATE` or `RATE/BURST`, as `--rate-limit` takes it (`10`, `0.5/3`).
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let rate = Double(parts[0]), rate.isFinite else { return nil }
        var burst: Double?
        if parts.count == 2 {
            guard let value = Double(parts[1]), value.isFinite else { return nil }
            burst = value
        }
        self.init(rate: rate, burst: burst)
    }

    public var description: String { "\(rate)/s, burst \(burst)" }
}

/// One bucket's state: the tokens it held when last used.
///
/// Tokens are kept in millionths so that both store engines hold them as integers.
public struct TokenBucket: Sendable, Equatable {
    public static let unit: Int64 = 1_000_000

    public var microTokens: Int64
    public var updatedAt: Date

    public init(microTokens: Int64, updatedAt: Date) {
        self.microTokens = microTokens
        self.updatedAt = updatedAt
    }

    /// A bucket never used before: full.
    public static func full(_ limit: RateLimit, at now: Date) -> TokenBucket {
        TokenBucket(microTokens: Int64(limit.burst * Double(unit)), updatedAt: now)
    }

    /// Refills for the time since the last use, then takes one token if there is one.
    ///
    /// A clock that went backwards (another node's) refills nothing rather than draining the bucket.
    public mutating func take(_ limit: RateLimit, now: Date) -> RateDecision {
        let elapsed = max(0, now.timeIntervalSince(updatedAt))
        let capacity = Int64(limit.burst * Double(Self.unit))
        let refill = elapsed * limit.rate * Double(Self.unit)
        microTokens = refill >= Double(capacity) ? capacity : min(capacity, microTokens + Int64(refill))
        updatedAt = max(updatedAt, now)
        guard microTokens >= Self.unit else {
            let missing = Double(Self.unit - microTokens) / Double(Self.unit)
            return .refused(retryAfterMilliseconds: max(1, Int((missing / limit.rate * 1000).rounded(.up))))
        }
        microTokens -= Self.unit
        return .allowed
    }
}

/// Whether a request may go ahead, and if not, when it may try again.
public enum RateDecision: Sendable, Equatable {
    case allowed
    case refused(retryAfterMilliseconds: Int)
}
