import Foundation

/// What the test control endpoint asks of a store: forget everything, or save and bring back all of it.
public protocol StoreReset: Sendable {
    /// Where the store's new IDs come from; a reset starts a seeded stream again.
    var identifiers: IdentifierGenerator { get }

    /// Deletes every account and everything they own, in one transaction; the schema and the key stay, and
    /// a seeded identifier stream starts again from its seed.
    func eraseEverything() async throws

    /// A copy of every account and everything they own, and where the identifier stream stands.
    func saveState() async throws -> StateSnapshot

    /// Replaces the whole state with `snapshot`, in one transaction. Replay protection and flow control are
    /// not part of the state: nonces already used stay used, and rate-limit buckets keep their tokens.
    func restoreState(_ snapshot: StateSnapshot) async throws
}

/// A saved copy of a store's whole state, readable only by the store that made it.
public struct StateSnapshot: Sendable {
    /// The store's own representation.
    public let content: any Sendable
    /// About how much memory the copy takes, for the control endpoint's limit.
    public let byteCount: Int
    /// Rows saved, all tables together.
    public let rowCount: Int

    public init(content: any Sendable, byteCount: Int, rowCount: Int) {
        self.content = content
        self.byteCount = byteCount
        self.rowCount = rowCount
    }
}

/// What a store that reads and writes state files offers: the fixtures and `state export`/`import` format.
public protocol StateFileStore: Sendable {
    /// The whole state as a state file (JSON): every account with its keys' plain secrets, and everything they own.
    func exportState() async throws -> [UInt8]

    /// Replaces the whole state with a state file's, in one transaction, or changes nothing and says why.
    func importState(_ file: [UInt8], now: Date) async throws
}

/// A state file that cannot be loaded: which table and row, and what is wrong.
public struct StateFileError: Error, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
