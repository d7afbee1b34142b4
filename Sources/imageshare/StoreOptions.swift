import ArgumentParser
import Foundation
import ImageShareStore
import Logging

/// Where the store lives; shared by `serve` and every admin command so they open the same data.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: "Directory of the embedded SQLite store and of the secret key file (created on first use).")
    var dataDirectory: String = "./imageshare-data"

    @Option(
        name: .customLong("database"),
        help: ArgumentHelp(
            "PostgreSQL URL (postgres://user:password@host:port/database) instead of the embedded store; also IMAGESHARE_DATABASE.",
            discussion: "AccessKey secrets are sealed with <data-dir>/secret.key: give every server of one database the same key file."))
    var database: String?

    @Flag(help: "Do not apply pending migrations; refuse to start while any is pending, naming it.")
    var noMigrate = false

    /// `--database`, else `IMAGESHARE_DATABASE`, else nil for the embedded store.
    var databaseURL: String? {
        database ?? ProcessInfo.processInfo.environment["IMAGESHARE_DATABASE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func validate() throws {
        if let databaseURL, !databaseURL.hasPrefix("postgres://"), !databaseURL.hasPrefix("postgresql://") {
            throw ValidationError("--database must be a postgres:// URL")
        }
    }

    /// Opens the store and runs `body` with it; for PostgreSQL the connection pool runs alongside until `body` ends.
    func withStore<T: Sendable>(logger: Logger, _ body: @escaping @Sendable (SQLStore) async throws -> T) async throws -> T {
        let directory = URL(fileURLWithPath: dataDirectory)
        let policy: SQLStore.MigrationPolicy = noMigrate ? .refuse : .apply
        guard let url = databaseURL else {
            return try await body(try await SQLStore.sqlite(directory: directory, migrations: policy))
        }
        let engine = try PostgresEngine(url: url, logger: logger)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sealer = try SecretSealer.loadOrCreate(keyFile: directory.appendingPathComponent(SQLStore.keyFileName))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            // The connection pool must run while anything talks to the database.
            group.addTask {
                try await engine.run()
                return nil
            }
            defer { group.cancelAll() }
            let store = try await SQLStore(engine: engine, sealer: sealer, migrations: policy)
            return try await body(store)
        }
    }

    /// For one-shot admin commands: open, act, close.
    func withStore<T: Sendable>(_ body: @escaping @Sendable (SQLStore) async throws -> T) async throws -> T {
        var logger = Logger(label: "imageshare")
        logger.logLevel = .warning
        return try await withStore(logger: logger, body)
    }
}
