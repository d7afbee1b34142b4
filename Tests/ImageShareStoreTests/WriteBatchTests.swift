import Foundation
import GRDB
import ImageShareCore
import ImageShareTestSupport
import Synchronization
import Testing

@testable import ImageShareStore

/// Counts the transactions SQLite commits on the writer connection.
private final class CommitCounter: TransactionObserver, Sendable {
    let commits = Mutex(0)
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { commits.withLock { $0 += 1 } }
    func databaseDidRollback(_ db: Database) {}
}

/// A SQLite engine on a new file, with its commits counted.
private func fileEngine() throws -> (engine: SQLiteEngine, counter: CommitCounter, directory: URL) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("imageshare-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let engine = try SQLiteEngine(path: directory.appendingPathComponent("test.sqlite").path)
    let counter = CommitCounter()
    engine.writer.add(transactionObserver: counter, extent: .databaseLifetime)
    return (engine, counter, directory)
}

private struct Refused: Error {}

@Suite("store: SQLite commits concurrent writes together, each durable before it is answered")
struct WriteBatchTests {
    @Test("every commit syncs the log to disk (synchronous=FULL on the writer, which GRDB sets to NORMAL)")
    func commitsAreSynced() async throws {
        let (engine, _, directory) = try fileEngine()
        defer { try? FileManager.default.removeItem(at: directory) }
        // 2 = FULL; 1 = NORMAL, where the WAL is synced only at checkpoints and a power loss can take commits.
        #expect(try await engine.write { db in try db.fetchValue("PRAGMA synchronous", as: Int.self) } == 2)
        #expect(try await engine.maintain { db in try db.fetchValue("PRAGMA synchronous", as: Int.self) } == 2)
    }

    @Test("concurrent writes share commits; one that throws is rolled back alone; each is visible once answered")
    func sharedCommits() async throws {
        let (engine, counter, directory) = try fileEngine()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try await engine.write { db in try db.execute("CREATE TABLE items (value TEXT NOT NULL)") }
        let before = counter.commits.withLock { $0 }
        let results = await concurrently(Array(0..<60)) { index in
            try await engine.write { db in
                try db.execute("INSERT INTO items (value) VALUES (?)", ["item-\(index)"])
                // Slow bodies, so that the others pile up behind the first.
                usleep(1_000)
                if index == 30 { throw Refused() }
            }
            // Answered means committed: a reader (another connection) already sees the row.
            return try await engine.read { db in
                try db.fetchValue("SELECT COUNT(*) FROM items WHERE value = ?", ["item-\(index)"], as: Int.self)
            } == 1
        }
        #expect(results[30] == false)
        #expect(results.filter { $0.key != 30 && !$0.value }.isEmpty, "\(results.filter { !$0.value }.keys.sorted())")
        #expect(try await engine.read { db in try db.fetchValue("SELECT COUNT(*) FROM items", as: Int.self) } == 59)
        #expect(try await engine.read { db in
            try db.fetchValue("SELECT COUNT(*) FROM items WHERE value = 'item-30'", as: Int.self)
        } == 0)
        let commits = counter.commits.withLock { $0 } - before
        #expect(commits < 30, "60 writes took \(commits) commits")
    }

    @Test("when SQLite abandons a batch's transaction, every other write in it is run again alone and commits")
    func abandonedBatch() async throws {
        let (engine, _, directory) = try fileEngine()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try await engine.write { db in try db.execute("CREATE TABLE items (value TEXT NOT NULL)") }
        let results = await concurrently(Array(0..<40)) { index in
            try await engine.write { db in
                try db.execute("INSERT INTO items (value) VALUES (?)", ["item-\(index)"])
                usleep(1_000)
                // What a full disk or an I/O error does: the whole transaction is gone.
                if index == 20 {
                    try db.execute("ROLLBACK")
                    throw Refused()
                }
            }
            return true
        }
        #expect(results[20] == false)
        #expect(results.filter { $0.key != 20 && !$0.value }.isEmpty, "\(results.filter { !$0.value }.keys.sorted())")
        let values = try await engine.read { db in try String.fetchAll(db, sql: "SELECT value FROM items") }
        #expect(Set(values) == Set((0..<40).filter { $0 != 20 }.map { "item-\($0)" }))
        #expect(values.count == 39)
    }

    @Test("when the batch fails because the database is unavailable, every write in it hears ServiceUnavailable at once")
    func unavailableBatch() async throws {
        let writer = try DatabaseQueue()
        try await writer.write { db in try db.execute(sql: "CREATE TABLE items (value TEXT NOT NULL)") }
        // Every error the batch meets counts as the database being away (what a busy or full disk becomes).
        let batches = SQLiteWriteBatches(writer: writer) { _ in ECSError.serviceUnavailable }
        let unavailable = Mutex<Set<Int>>([])
        let results = await concurrently(Array(0..<40)) { index in
            do {
                try await batches.write { db in
                    try db.execute(sql: "INSERT INTO items (value) VALUES (?)", arguments: ["item-\(index)"])
                    usleep(1_000)
                    if index == 20 {
                        try db.execute(sql: "ROLLBACK")
                        throw Refused()
                    }
                }
                return true
            } catch let error as ECSError where error == .serviceUnavailable {
                unavailable.withLock { _ = $0.insert(index) }
                return false
            }
        }
        let failed = Set(results.filter { !$0.value }.keys)
        // Nobody in the abandoned batch was run again: they all failed with it, and only they did.
        #expect(failed.contains(20) && failed.count > 1, "failed: \(failed.sorted())")
        #expect(unavailable.withLock { $0 } == failed)
        let values = try await writer.read { db in try String.fetchAll(db, sql: "SELECT value FROM items") }
        #expect(Set(values) == Set(results.filter(\.value).keys.map { "item-\($0)" }))
    }
}
