import Synchronization

/// The signature nonces still inside their retention, held in memory in front of SQLite's append-only nonce log.
///
/// The log (`nonce_log`) is what makes a claim durable: one row appended at the end of a rowid table, where a
/// unique index would put every claim at a random place of a large B-tree. The window is how the log is looked
/// up: it holds every log row up to `lastSequence`, read back from the log itself (the store's own rows and
/// those of any other process on the same file alike), so it never knows a claim that was not committed.
///
/// Each remembered nonce costs one 64-bit fingerprint of key and nonce plus 16 bits of its expiry, in a
/// dictionary per minute of expiry (about 16 to 32 bytes with the dictionary's free slots). Fingerprints use
/// the process's randomly seeded `Hasher`, so no client can choose two nonces that collide; two different
/// nonces of one key collide with a probability of about n / 2^64 per claim (n remembered nonces), and a
/// collision refuses a new nonce as used, never accepts a replay.
final class NonceWindow: Sendable {
    /// One log row as the window needs it.
    struct Entry: Sendable {
        let sequence: Int64
        let fingerprint: Int
        let expiresAtMillis: Int64
    }

    /// The nonces whose retention ends within one minute.
    private struct Bucket {
        /// Fingerprint → milliseconds into the minute at which its retention ends.
        var expiries: [Int: UInt16] = [:]
        /// The highest log sequence in this bucket: purging it may delete the log up to there.
        var highestSequence: Int64 = 0
    }

    private struct State {
        var buckets: [Int64: Bucket] = [:]
        var lastSequence: Int64 = 0
        var count = 0
    }

    private static let bucketMillis: Int64 = 60_000
    private let state = Mutex(State())

    static func fingerprint(accessKeyId: String, nonce: String) -> Int {
        var hasher = Hasher()
        hasher.combine(accessKeyId)
        hasher.combine(nonce)
        return hasher.finalize()
    }

    /// The last log sequence the window holds: rows after it are read back before the next claims are decided.
    var lastSequence: Int64 { state.withLock { $0.lastSequence } }

    /// How many nonces the window remembers (including any that expired since the last purge).
    var count: Int { state.withLock { $0.count } }

    /// Whether this fingerprint was claimed and its retention has not ended at `nowMillis`.
    func isLive(_ fingerprint: Int, nowMillis: Int64) -> Bool {
        let (nowBucket, nowOffset) = Self.split(nowMillis)
        return state.withLock { state in
            for (minute, bucket) in state.buckets where minute >= nowBucket {
                guard let offset = bucket.expiries[fingerprint] else { continue }
                // A retention that ended before now frees the nonce, exactly as the PostgreSQL table does.
                if minute > nowBucket || Int64(offset) >= nowOffset { return true }
            }
            return false
        }
    }

    /// Adds log rows read back from the log, in sequence order; rows already expired at `nowMillis` are skipped.
    func add(_ entries: [Entry], nowMillis: Int64) {
        guard !entries.isEmpty else { return }
        state.withLock { state in
            for entry in entries {
                state.lastSequence = max(state.lastSequence, entry.sequence)
                guard entry.expiresAtMillis >= nowMillis else { continue }
                let (minute, offset) = Self.split(entry.expiresAtMillis)
                let previous = state.buckets[minute, default: Bucket()].expiries.updateValue(UInt16(offset), forKey: entry.fingerprint)
                if previous == nil { state.count += 1 }
                state.buckets[minute]!.highestSequence = max(state.buckets[minute]!.highestSequence, entry.sequence)
            }
        }
    }

    /// Forgets every minute that ended before `millis`; returns the highest log sequence among them (nil if
    /// none), below which every expired log row may be deleted.
    func forget(expiredBefore millis: Int64) -> Int64? {
        let (limit, _) = Self.split(millis)
        return state.withLock { state in
            var highest: Int64?
            for (minute, bucket) in state.buckets where minute < limit {
                highest = max(highest ?? 0, bucket.highestSequence)
                state.count -= bucket.expiries.count
                state.buckets[minute] = nil
            }
            return highest
        }
    }

    /// Forgets everything (the store was emptied); the sequence goes on, as the log's does.
    func removeAll() {
        state.withLock { state in
            state.buckets = [:]
            state.count = 0
        }
    }

    /// The minute a time falls in and the milliseconds into it.
    private static func split(_ millis: Int64) -> (minute: Int64, offset: Int64) {
        let minute = millis >= 0 ? millis / bucketMillis : (millis - bucketMillis + 1) / bucketMillis
        return (minute, millis - minute * bucketMillis)
    }
}
