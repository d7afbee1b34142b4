import ImageShareCore

/// Commits the small writes of concurrent callers together: one transaction, and so one sync to disk, for
/// every batch, while each caller still gets its own result only after that commit.
///
/// The first caller starts a drain; whoever arrives while a batch is being committed joins the next one.
/// When a batch fails, its items are tried again one transaction each, so an item the database refuses fails
/// only its own caller; only an unavailable database fails the whole batch at once, and everyone waiting behind it.
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
            } catch let error as ECSError where error == .serviceUnavailable {
                // The database is away: whoever queued behind this batch would wait as long again for the same
                // answer, so they get it now (and can retry) instead of one timeout after another.
                let waiting = pending
                pending.removeAll()
                for entry in batch + waiting { entry.continuation.resume(throwing: error) }
            } catch {
                guard batch.count > 1 else {
                    batch[0].continuation.resume(throwing: error)
                    continue
                }
                for entry in batch {
                    let item = entry.item
                    do {
                        let result = try await engine.write { db in try apply(db, [item]) }
                        entry.continuation.resume(returning: result[0])
                    } catch {
                        entry.continuation.resume(throwing: error)
                    }
                }
            }
        }
        draining = false
    }
}
