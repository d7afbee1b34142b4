import Foundation
import GRDB
import ImageShareCore

/// The embedded store: one SQLite database in WAL mode, shared safely by a server and the admin CLI.
///
/// Migrations run in `init`, so an unmigrated store cannot exist.
public final class SQLiteStore: Sendable {
    let writer: any DatabaseWriter
    let sealer: SecretSealer
    let generator = CredentialGenerator()

    /// The file names inside a data directory.
    public static let databaseFileName = "imageshare.sqlite"
    public static let keyFileName = "secret.key"

    /// Opens (creating if needed) the store in `directory`.
    public convenience init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        // Another process (the CLI or a second server) may hold the write lock for a moment.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let pool = try DatabasePool(
            path: directory.appendingPathComponent(Self.databaseFileName).path, configuration: configuration)
        let sealer = try SecretSealer.loadOrCreate(keyFile: directory.appendingPathComponent(Self.keyFileName))
        try self.init(writer: pool, sealer: sealer)
    }

    /// A private in-memory store, for tests.
    public static func inMemory() throws -> SQLiteStore {
        try SQLiteStore(writer: DatabaseQueue(), sealer: .ephemeral())
    }

    init(writer: any DatabaseWriter, sealer: SecretSealer) throws {
        self.writer = writer
        self.sealer = sealer
        try Self.migrator.migrate(writer)
    }

    /// Runs a read, translating a busy database into `ServiceUnavailable`.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await writer.read(body) } catch let error as DatabaseError { throw Self.translate(error) }
    }

    /// Runs one write transaction, translating a busy database into `ServiceUnavailable`.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await writer.write(body) } catch let error as DatabaseError { throw Self.translate(error) }
    }

    private static func translate(_ error: DatabaseError) -> any Error {
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_IOERR, .SQLITE_FULL: ECSError.serviceUnavailable
        default: error
        }
    }
}

extension Date {
    /// Milliseconds since 1970, the time representation of every store column.
    var storeMillis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(storeMillis: Int64) { self.init(timeIntervalSince1970: Double(storeMillis) / 1000) }
}
