/// Commits the small writes of concurrent callers together: one transaction, and so one sync to disk, for
/// every batch, while each caller still gets its own result only after that commit.
///
/// The first caller starts a drain; whoever arrives while a batch is being committed joins the next one.
/// A failing batch fails every caller in it (the transaction rolled back as a whole).
actor GroupCommit<Item: Sendable, Result: Sendable> {
    private let engine: any SQLEngine
    private let apply: @Sendable (any SQLSession, [Item]) throws -> [Result]
    private let maxBatch: Int
    private var pending: [(item: Item, continuation: CheckedContinuation<Result, any Error>)] = []
    private var draining = false

    /// `apply` runs inside one write transaction and returns one result per item, in order.
    init(engine: any SQLEngine, maxBatch: Int = 256, apply: @escaping @Sendable (any SQLSession, [Item]) throws -> [Result]) {
        self.engine = engine
        self.apply = apply
        self.maxBatch = maxBatch
    }

    func submit(_ item: Item) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            pending.append((item, continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            let items = batch.map(\.item)
            let apply = apply
            do {
                let results = try await engine.write { db in try apply(db, items) }
                for (entry, result) in zip(batch, results) { entry.continuation.resume(returning: result) }
            } catch {
                for entry in batch { entry.continuation.resume(throwing: error) }
            }
        }
        draining = false
    }
}
