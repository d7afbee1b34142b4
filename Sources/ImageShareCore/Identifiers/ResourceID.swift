/// ECS resource IDs: a type prefix (`m-`, `i-`, `d-`, `s-`) and 20 lower-case alphanumerics.
/// New ones come from an `IdentifierGenerator`; this type keeps the shape and the built-in catalogue's IDs.
public enum ResourceID {
    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
    static let suffixLength = 20

    /// A stable ID derived from `seed`, for built-in catalogue entries that must look the same on every start.
    public static func deterministic(prefix: String, seed: String) -> String {
        // FNV-1a, re-mixed per character so the 20 characters do not repeat a pattern.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in seed.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        var suffix: [UInt8] = []
        for index in 0..<suffixLength {
            hash ^= UInt64(index) &+ 0x9e37_79b9_7f4a_7c15
            hash &*= 0x100_0000_01b3
            hash ^= hash >> 29
            suffix.append(alphabet[Int(hash % UInt64(alphabet.count))])
        }
        return prefix + String(decoding: suffix, as: UTF8.self)
    }
}
