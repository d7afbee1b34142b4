import Foundation
import ImageShareCore
import Synchronization

/// The named snapshots a test saved through the control endpoint, kept in the server's memory.
final class SnapshotShelf: Sendable {
    /// At most this many snapshots, and this many bytes of saved rows in all: a test double must not let a
    /// loop of saves take the machine's memory.
    static let maxSnapshots = 32
    static let maxTotalBytes = 512 << 20

    /// One saved snapshot and when it was taken (service time).
    struct Entry: Sendable {
        let name: String
        let snapshot: StateSnapshot
        let savedAt: Date
    }

    /// Why a save was refused.
    enum Refusal: Error {
        case tooMany, tooLarge
    }

    private let entries = Mutex<[Entry]>([])

    /// Whether `name` may name a snapshot: 1–64 letters, digits, `.`, `_` or `-`.
    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == 0x2E || byte == 0x5F || byte == 0x2D
            }
    }

    /// Keeps `snapshot` under `name`, replacing one saved under that name before.
    func put(_ entry: Entry) throws(Refusal) {
        try entries.withLock { (list: inout [Entry]) throws(Refusal) in
            let others = list.filter { $0.name != entry.name }
            guard others.count < Self.maxSnapshots else { throw .tooMany }
            guard others.reduce(entry.snapshot.byteCount, { $0 + $1.snapshot.byteCount }) <= Self.maxTotalBytes else {
                throw .tooLarge
            }
            list = others + [entry]
        }
    }

    func entry(named name: String) -> Entry? { entries.withLock { $0.first { $0.name == name } } }

    /// Forgets a snapshot; false when there was none of that name.
    func remove(named name: String) -> Bool {
        entries.withLock { list in
            let count = list.count
            list.removeAll { $0.name == name }
            return list.count < count
        }
    }

    var all: [Entry] { entries.withLock { $0 } }
}
