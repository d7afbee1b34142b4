import Foundation
import ImageShareCore

/// The store: every port of the domain implemented once in SQL, on SQLite or PostgreSQL.
///
/// Migrations run when a store is opened (unless told not to), so an unmigrated store is not handed out.
public final class SQLStore: Sendable {
    let engine: any SQLEngine
    let sealer: SecretSealer
    let generator = CredentialGenerator()
    let nonceClaims: GroupCommit<NonceClaim, NonceClaimResult>

    /// The file names inside a data directory.
    public static let databaseFileName = "imageshare.sqlite"
    public static let keyFileName = "secret.key"

    /// What to do about migrations the database has not applied yet.
    public enum MigrationPolicy: Sendable {
        /// Apply them (the default).
        case apply
        /// Refuse to open the store, naming them (`--no-migrate`).
        case refuse
    }

    /// A migration is pending and the policy forbids applying it.
    public struct PendingMigrations: Error, CustomStringConvertible {
        public let names: [String]
        public var description: String {
            "the database needs these migrations: \(names.joined(separator: ", ")); start once without --no-migrate"
        }
    }

    /// Opens a store on `engine`, whose AccessKey secrets are sealed by `sealer`.
    public init(engine: any SQLEngine, sealer: SecretSealer, migrations: MigrationPolicy = .apply) async throws {
        self.engine = engine
        self.sealer = sealer
        nonceClaims = GroupCommit(engine: engine) { db, claims in try SQLStore.record(claims, in: db) }
        switch migrations {
        case .apply:
            try await Schema.migrate(engine)
        case .refuse:
            let pending = try await Schema.pendingMigrations(engine)
            guard pending.isEmpty else { throw PendingMigrations(names: pending) }
        }
    }

    /// The embedded store in `directory`: the SQLite file and the secret key file, created on first use.
    public static func sqlite(directory: URL, migrations: MigrationPolicy = .apply) async throws -> SQLStore {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let engine = try SQLiteEngine(path: directory.appendingPathComponent(databaseFileName).path)
        return try await SQLStore(
            engine: engine, sealer: try SecretSealer.loadOrCreate(keyFile: directory.appendingPathComponent(keyFileName)),
            migrations: migrations)
    }

    /// A private in-memory SQLite store, for tests.
    public static func inMemory() async throws -> SQLStore {
        try await SQLStore(engine: try SQLiteEngine(), sealer: .ephemeral())
    }

    /// Names of migrations not yet applied.
    public func pendingMigrations() async throws -> [String] { try await Schema.pendingMigrations(engine) }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        try await engine.read(body)
    }

    /// One write transaction; under `DryRun.isRequested` it rolls back after its checks with `DryRunOperation`.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        let dryRun = DryRun.isRequested
        return try await engine.write { db in
            let result = try body(db)
            if dryRun { throw ECSError.dryRunOperation }
            return result
        }
    }
}

extension Date {
    /// Milliseconds since 1970, the time representation of every store column.
    var storeMillis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(storeMillis: Int64) { self.init(timeIntervalSince1970: Double(storeMillis) / 1000) }
}
