import GRDB
import ImageShareCore
import Synchronization

/// Commits the write transactions of concurrent requests together on SQLite: each body runs in a savepoint of
/// one shared transaction, so a batch costs one commit, one sync of the log to disk, however many it holds.
///
/// SQLite runs one write transaction at a time anyway, so running the waiting bodies one after another inside
/// one transaction changes nothing any of them sees: each sees exactly what the ones before it wrote. What
/// changes is when a caller hears back: only once the whole batch is committed, so nothing is acknowledged
/// before it is durable. A body that throws is rolled back to its savepoint and fails alone. When the batch
/// itself fails (its commit, or an error after which SQLite abandoned the whole transaction), every body in
/// it runs again in a transaction of its own, so each caller still gets its own answer; only an unavailable
/// database fails the whole batch at once, as `GroupCommit` does.
final class SQLiteWriteBatches: Sendable {
    /// One caller's transaction body: `run` executes it and returns how to hand its result over (after the
    /// commit); `fail` hands over an error.
    private struct Job: Sendable {
        let run: @Sendable (Database) throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private struct Queue {
        var jobs: [Job] = []
        var draining = false
    }

    private let writer: any DatabaseWriter
    private let maxBatch: Int
    private let translate: @Sendable (any Error) -> any Error
    private let queue = Mutex(Queue())

    /// `translate` turns SQLite's errors into what callers should see.
    init(writer: any DatabaseWriter, maxBatch: Int = 64, translate: @escaping @Sendable (any Error) -> any Error) {
        self.writer = writer
        self.maxBatch = maxBatch
        self.translate = translate
    }

    /// Runs `body` in a write transaction (shared with whoever else is waiting) and returns its result once
    /// that transaction is committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job = Job(
                run: { db in
                    let result = try body(db)
                    return { continuation.resume(returning: result) }
                },
                fail: { error in continuation.resume(throwing: error) })
            let startsDrain = queue.withLock { queue in
                queue.jobs.append(job)
                defer { queue.draining = true }
                return !queue.draining
            }
            // The writer's own dispatch queue drains; no task of the caller's is blocked meanwhile.
            if startsDrain { writer.asyncWriteWithoutTransaction { db in self.drain(db) } }
        }
    }

    /// Commits one batch, then queues the next behind whatever else waits for the writer (a migration, a
    /// state file), so that a steady stream of requests cannot hold the writer for ever.
    private func drain(_ db: Database) {
        let batch = queue.withLock { queue -> [Job] in
            let batch = Array(queue.jobs.prefix(maxBatch))
            queue.jobs.removeFirst(batch.count)
            return batch
        }
        commit(batch, in: db)
        let more = queue.withLock { queue in
            if queue.jobs.isEmpty { queue.draining = false }
            return queue.draining
        }
        if more { writer.asyncWriteWithoutTransaction { db in self.drain(db) } }
    }

    /// A body's outcome, handed over only after the batch's commit.
    private enum Outcome {
        case succeeded(@Sendable () -> Void)
        case failed(any Error)
    }

    private func commit(_ batch: [Job], in db: Database) {
        var outcomes: [Outcome] = []
        do {
            try db.inTransaction {
                if batch.count == 1 {
                    // Alone, the body's transaction is the batch's: no savepoint needed.
                    outcomes.append(.succeeded(try batch[0].run(db)))
                    return .commit
                }
                for job in batch {
                    outcomes.append(try runInSavepoint(job, in: db))
                }
                return .commit
            }
        } catch {
            let translated = translate(error)
            // An unavailable database (busy past its timeout, a full disk, an I/O error) would give each body
            // the same answer after as long a wait: the whole batch hears it now, and can retry.
            guard batch.count > 1, (translated as? ECSError) != .serviceUnavailable else {
                for job in batch { job.fail(translated) }
                return
            }
            for job in batch { commit([job], in: db) }
            return
        }
        for (job, outcome) in zip(batch, outcomes) {
            switch outcome {
            case let .succeeded(handOver): handOver()
            case let .failed(error): job.fail(translate(error))
            }
        }
    }

    private func runInSavepoint(_ job: Job, in db: Database) throws -> Outcome {
        try db.cachedStatement(sql: "SAVEPOINT request").execute()
        do {
            let handOver = try job.run(db)
            try db.cachedStatement(sql: "RELEASE request").execute()
            return .succeeded(handOver)
        } catch {
            // Where SQLite abandoned the whole transaction (a full disk, an I/O error), this rollback fails
            // too, and so does the batch: every body in it then runs again alone.
            try db.cachedStatement(sql: "ROLLBACK TO request").execute()
            try db.cachedStatement(sql: "RELEASE request").execute()
            return .failed(error)
        }
    }
}
