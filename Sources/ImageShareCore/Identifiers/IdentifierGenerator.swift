import Foundation
import Synchronization

/// Makes every new identifier the service hands out: resource IDs, account IDs, AccessKeys and RequestIds.
///
/// Random by default. With a seed (`serve --seed N`) it draws from a seeded SplitMix64 stream instead, so the
/// same sequence of calls gets the same IDs on every run and test logs compare across runs. A seeded stream
/// is predictable by design: it is for test doubles, never for a store that real users share. Console
/// passwords and session IDs never come from here.
public final class IdentifierGenerator: Sendable {
    /// The seed given at start, or nil for system randomness.
    public let seed: UInt64?
    private let stream: Mutex<UInt64>

    public init(seed: UInt64? = nil) {
        self.seed = seed
        stream = Mutex(seed ?? 0)
    }

    /// Where a seeded stream stands, to save with a snapshot of the state (nil when not seeded).
    public var position: UInt64? {
        get { seed == nil ? nil : stream.withLock { $0 } }
        set { if seed != nil, let newValue { stream.withLock { $0 = newValue } } }
    }

    /// Starts a seeded stream again from its seed (a reset of the whole state); no effect when random.
    public func restart() {
        if let seed { stream.withLock { $0 = seed } }
    }

    /// A resource ID: `prefix` and 20 lower-case alphanumerics (`m-…`, `i-…`).
    public func resourceID(prefix: String) -> String {
        prefix + string(from: ResourceID.alphabet, length: ResourceID.suffixLength)
    }

    /// A 16-digit account ID without a leading zero.
    public func accountID() -> String {
        let first = string(from: Array("123456789".utf8), length: 1)
        return first + string(from: Array("0123456789".utf8), length: 15)
    }

    /// An AccessKey ID in Alibaba's `LTAI…` style (24 characters).
    public func accessKeyID() -> String { "LTAI" + string(from: Self.alphanumerics, length: 20) }

    /// A 30-character AccessKey secret.
    public func accessKeySecret() -> String { string(from: Self.alphanumerics, length: 30) }

    /// A RequestId in ECS's shape: an upper-case version-4 UUID (Foundation's own when not seeded: it is on
    /// every request's path).
    public func requestID() -> String {
        guard seed != nil else { return UUID().uuidString }
        let words = words(2)
        var b = (0..<16).map { UInt8(truncatingIfNeeded: words[$0 / 8] >> (($0 % 8) * 8)) }
        b[6] = b[6] & 0x0F | 0x40
        b[8] = b[8] & 0x3F | 0x80
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
            .uuidString
    }

    private static let alphanumerics = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    private func string(from alphabet: [UInt8], length: Int) -> String {
        // 64 random bits per character: the modulo bias is below 2^-57.
        String(decoding: words(length).map { alphabet[Int($0 % UInt64(alphabet.count))] }, as: UTF8.self)
    }

    /// `count` random words, drawn under one lock so that one identifier's characters stay together in the stream.
    private func words(_ count: Int) -> [UInt64] {
        guard seed != nil else {
            var system = SystemRandomNumberGenerator()
            return (0..<count).map { _ in system.next() }
        }
        return stream.withLock { state in
            (0..<count).map { _ in
                // SplitMix64 (Steele, Lea and Flood): one addition and a finaliser per word.
                state &+= 0x9E37_79B9_7F4A_7C15
                var mixed = state
                mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
                mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
                return mixed ^ (mixed >> 31)
            }
        }
    }
}
