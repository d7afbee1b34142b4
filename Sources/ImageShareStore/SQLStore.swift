import Foundation
import ImageShareCore

/// The store: every port of the domain implemented once in SQL, on SQLite or PostgreSQL.
///
/// Migrations run when a store is opened (unless told not to), so an unmigrated store is not handed out.
public final class SQLStore: StoreHealth {
    let engine: any SQLEngine
    let sealer: SecretSealer
    /// Where new IDs, AccessKeys and RequestIds come from (seeded for reproducible test runs).
    public let identifiers: IdentifierGenerator
    let nonceClaims: GroupCommit<NonceClaim, NonceClaimResult>
    /// SQLite's claimed nonces in memory, in front of its append-only log (nil on PostgreSQL: see `claimNonce`).
    let nonceWindow: NonceWindow?
    /// Where each transaction's duration goes (the server's store-latency histogram).
    public let latency = StoreLatencyHook()

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

    /// Whether opening may make a new store: `serve` may; administrative commands must find an existing one.
    public enum Creation: Sendable {
        case allowed, forbidden
    }

    /// Opens a store on `engine`, whose AccessKey secrets are sealed by `sealer`.
    ///
    /// The store records the key's fingerprint the first time and refuses another key afterwards.
    public init(
        engine: any SQLEngine, sealer: SecretSealer, migrations: MigrationPolicy = .apply,
        identifiers: IdentifierGenerator = IdentifierGenerator()
    ) async throws {
        try await Self.prepareSchema(engine, migrations: migrations, creation: .allowed)
        try await StoreKey.adopt(sealer, engine: engine, keyName: "given in code")
        self.engine = engine
        self.sealer = sealer
        self.identifiers = identifiers
        (nonceWindow, nonceClaims) = Self.nonceClaiming(on: engine)
    }

    /// Opens a store whose key lives in `keyFile`: created there on a new store (when `creation` allows),
    /// read on an existing one, and refused when it is missing or is not the key the store was sealed with.
    public init(
        engine: any SQLEngine, keyFile: URL, creation: Creation, migrations: MigrationPolicy = .apply,
        identifiers: IdentifierGenerator = IdentifierGenerator()
    ) async throws {
        try await Self.prepareSchema(engine, migrations: migrations, creation: creation)
        let sealer = try await StoreKey.resolve(keyFile: keyFile, engine: engine, creation: creation)
        try await StoreKey.adopt(sealer, engine: engine, keyName: keyFile.path)
        // A store is there for administration once a server has finished creating it, first account included;
        // stores from before that was recorded count once they have an account.
        if creation == .forbidden {
            let created = try await engine.read { db in
                try db.fetchOne("SELECT 1 FROM store_settings WHERE name = 'first_account'") != nil
                    || db.fetchOne("SELECT 1 FROM accounts LIMIT 1") != nil
            }
            guard created else { throw StoreSetupError.noDatabaseSchema }
        }
        self.engine = engine
        self.sealer = sealer
        self.identifiers = identifiers
        (nonceWindow, nonceClaims) = Self.nonceClaiming(on: engine)
    }

    private static func nonceClaiming(on engine: any SQLEngine) -> (NonceWindow?, GroupCommit<NonceClaim, NonceClaimResult>) {
        let window = engine.dialect.kind == .sqlite ? NonceWindow() : nil
        return (window, GroupCommit(engine: engine) { db, claims in try SQLStore.record(claims, window: window, in: db) })
    }

    private static func prepareSchema(_ engine: any SQLEngine, migrations: MigrationPolicy, creation: Creation) async throws {
        if creation == .forbidden, try await !Schema.exists(engine) { throw StoreSetupError.noDatabaseSchema }
        switch migrations {
        case .apply:
            try await Schema.migrate(engine)
        case .refuse:
            let pending = try await Schema.pendingMigrations(engine)
            guard pending.isEmpty else { throw PendingMigrations(names: pending) }
        }
    }

    /// The embedded store in `directory` (made private and created on first use when `creation` allows).
    public static func sqlite(
        directory: URL, creation: Creation = .allowed, migrations: MigrationPolicy = .apply
    ) async throws -> SQLStore {
        let data = try DataDirectory.open(directory, create: creation == .allowed)
        guard creation == .allowed || data.hasDatabase else { throw StoreSetupError.noStore(data.path) }
        let engine = try SQLiteEngine(path: data.databasePath)
        do {
            return try await SQLStore(engine: engine, keyFile: data.keyFile, creation: creation, migrations: migrations)
        } catch StoreSetupError.noDatabaseSchema {
            // Here the store is the directory: name it.
            throw StoreSetupError.noStore(data.path)
        }
    }

    /// A private in-memory SQLite store, for tests and `serve --in-memory`.
    public static func inMemory(identifiers: IdentifierGenerator = IdentifierGenerator()) async throws -> SQLStore {
        try await SQLStore(engine: try SQLiteEngine(), sealer: .ephemeral(), identifiers: identifiers)
    }

    /// Names of migrations not yet applied.
    public func pendingMigrations() async throws -> [String] { try await Schema.pendingMigrations(engine) }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        let start = ContinuousClock.now
        defer { latency.record(.read, ContinuousClock.now - start) }
        return try await engine.read(body)
    }

    /// One write transaction; under `DryRun.isRequested` it rolls back after its checks with `DryRunOperation`.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        let dryRun = DryRun.isRequested
        let start = ContinuousClock.now
        defer { latency.record(.write, ContinuousClock.now - start) }
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
