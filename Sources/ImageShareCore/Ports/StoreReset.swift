/// What the test control endpoint asks of a store: forget everything.
public protocol StoreReset: Sendable {
    /// Deletes every account and everything they own, in one transaction; the schema and the key stay.
    func eraseEverything() async throws
}
