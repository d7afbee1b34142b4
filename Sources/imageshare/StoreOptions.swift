import ArgumentParser
import Foundation
import ImageShareStore
import Logging

/// Where the store lives; shared by `serve` and every admin command so they open the same data.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: """
            Directory of the embedded SQLite store and of the secret key file (default: $IMAGESHARE_DATA_DIR, else \
            ./imageshare-data). serve creates it (mode 0700); the other commands need an existing one.
            """)
    var dataDirectory: String?

    @Option(
        name: .customLong("database"),
        help: """
            PostgreSQL URL (postgres://user:password@host:port/database) instead of the embedded store (default: \
            $IMAGESHARE_DATABASE). AccessKey secrets are sealed with <data-dir>/secret.key: give every server of one \
            database the same key file.
            """)
    var database: String?

    @Flag(help: "Do not apply pending migrations; stop with an error naming them if any is pending.")
    var noMigrate = false

    static let defaultDataDirectory = "./imageshare-data"

    /// `--data-dir`, else `IMAGESHARE_DATA_DIR`, else `./imageshare-data`.
    var dataDirectoryURL: URL {
        let environment = ProcessInfo.processInfo.environment["IMAGESHARE_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        return URL(fileURLWithPath: dataDirectory ?? environment ?? Self.defaultDataDirectory)
    }

    /// `--database`, else `IMAGESHARE_DATABASE`, else nil for the embedded store.
    var databaseURL: String? {
        database ?? ProcessInfo.processInfo.environment["IMAGESHARE_DATABASE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Where the data lives, in words, with no password (`SQLite in /var/lib/imageshare`).
    var description: String {
        guard let url = databaseURL.flatMap(URLComponents.init(string:)) else {
            return "SQLite in \(dataDirectoryURL.standardizedFileURL.path)"
        }
        return "PostgreSQL at \(url.host ?? "?"):\(url.port ?? 5432)\(url.path), key in \(dataDirectoryURL.standardizedFileURL.path)"
    }

    func validate() throws {
        if let databaseURL, !databaseURL.hasPrefix("postgres://"), !databaseURL.hasPrefix("postgresql://") {
            throw ValidationError("--database must be a postgres:// URL")
        }
    }

    /// Opens the store and runs `body` with it; for PostgreSQL the connection pool runs alongside until `body`
    /// ends. Only `serve` passes `.allowed`: administrative commands never create a store.
    func withStore<T: Sendable>(
        creation: SQLStore.Creation, logger: Logger, _ body: @escaping @Sendable (SQLStore) async throws -> T
    ) async throws -> T {
        // Whatever this process creates from here on (database, WAL, key, temporary files) is private.
        umask(0o077)
        let policy: SQLStore.MigrationPolicy = noMigrate ? .refuse : .apply
        guard let url = databaseURL else {
            let store = try await SQLStore.sqlite(directory: dataDirectoryURL, creation: creation, migrations: policy)
            return try await body(store)
        }
        let directory = try DataDirectory.open(dataDirectoryURL, create: creation == .allowed)
        let engine = try PostgresEngine(url: url, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            // The connection pool must run while anything talks to the database.
            group.addTask {
                try await engine.run()
                return nil
            }
            defer { group.cancelAll() }
            let store = try await SQLStore(engine: engine, keyFile: directory.keyFile, creation: creation, migrations: policy)
            return try await body(store)
        }
    }

    /// For one-shot admin commands on an existing store: open, act, close.
    func withExistingStore<T: Sendable>(_ body: @escaping @Sendable (SQLStore) async throws -> T) async throws -> T {
        var logger = Logger(label: "imageshare")
        logger.logLevel = .warning
        return try await withStore(creation: .forbidden, logger: logger, body)
    }
}
