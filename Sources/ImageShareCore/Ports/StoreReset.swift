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
