import Synchronization

/// The order in which ECS lists an object's members: the iteration order of a Java `HashMap` holding them.
///
/// ECS's answers are serialised from such maps, so clients meet members grouped by hash bucket, not in the
/// order the API reference lists them, and some depend on it (footmark sets attributes one by one and reads
/// `EipAddress` while setting `PublicIpAddress`). A member's bucket is `(h ^ (h >>> 16)) & (capacity - 1)`
/// with `h` Java's `String.hashCode()`; buckets come in index order, members of one bucket in insertion
/// order; the capacity starts at 16 and doubles while the members exceed three quarters of it.
/// `../shared/ecs-wire-order.md` has the evidence.
public enum JavaHashMapOrder {
    /// Permutations already computed, by member names: every object of one kind has the same names, and a
    /// DescribeImages page renders a hundred of them.
    private static let known = Mutex<[[String]: [Int]]>([:])
    /// Member names come from the code, so there are few shapes; the bound only guards against a mistake.
    private static let maxKnown = 1_024

    /// Java's `String.hashCode()`: `31 * h + c` over UTF-16 code units, wrapping at 32 bits.
    public static func hashCode(_ name: String) -> UInt32 {
        var hash: UInt32 = 0
        for unit in name.utf16 { hash = hash &* 31 &+ UInt32(unit) }
        return hash
    }

    /// The table size of a `HashMap` that holds `count` members.
    public static func capacity(forCount count: Int) -> Int {
        var capacity = 16
        while Double(count) > 0.75 * Double(capacity) { capacity *= 2 }
        return capacity
    }

    static func bucket(_ name: String, capacity: Int) -> Int {
        let hash = hashCode(name)
        return Int((hash ^ (hash >> 16)) & UInt32(capacity - 1))
    }

    /// The positions of `names` in the order a `HashMap` filled in that order iterates them.
    public static func permutation(of names: [String]) -> [Int] {
        if let cached = known.withLock({ $0[names] }) { return cached }
        let order = computePermutation(of: names)
        known.withLock { known in
            if known.count >= maxKnown { known.removeAll() }
            known[names] = order
        }
        return order
    }

    static func computePermutation(of names: [String]) -> [Int] {
        let capacity = capacity(forCount: names.count)
        let buckets = names.map { bucket($0, capacity: capacity) }
        // Stable by construction: ties keep their index order, which is the insertion order.
        return names.indices.sorted { (buckets[$0], $0) < (buckets[$1], $1) }
    }
}
