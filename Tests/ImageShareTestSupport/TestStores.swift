import Foundation
import ImageShareCore
import ImageShareStore
import Logging
import PostgresNIO

/// The engines the store contract suite runs on: SQLite always, PostgreSQL when
/// `IMAGESHARE_TEST_POSTGRES_URL` names a database (`.ci/run` always sets it).
public enum StoreEngine: String, CustomStringConvertible, Sendable {
    case sqlite, postgres

    public var description: String { rawValue }

    public static let postgresURL = ProcessInfo.processInfo.environment["IMAGESHARE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    public static var available: [StoreEngine] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    /// The engine of the in-process HTTP suite: `IMAGESHARE_TEST_ENGINE=postgres` runs it on PostgreSQL
    /// (`.ci/run` runs it once per engine).
    public static var http: StoreEngine {
        ProcessInfo.processInfo.environment["IMAGESHARE_TEST_ENGINE"] == "postgres" ? .postgres : .sqlite
    }

    /// A fresh, empty, migrated store: in-memory SQLite, or a schema of its own in the test database.
    public func makeStore(identifiers: IdentifierGenerator = IdentifierGenerator()) async throws -> SQLStore {
        switch self {
        case .sqlite: return try await SQLStore.inMemory(identifiers: identifiers)
        case .postgres:
            let schema = try await Self.createSchema()
            return try await SQLStore(
                engine: PostgresEngine(client: Self.sharedClient, schema: schema, logger: Self.logger, timeout: Self.timeout), sealer: Self.sealer,
                identifiers: identifiers)
        }
    }

    /// An engine on a new, empty database (no migrations applied).
    public func makeUnmigratedEngine() async throws -> any SQLEngine {
        switch self {
        case .sqlite: return try SQLiteEngine()
        case .postgres:
            return PostgresEngine(
                client: Self.sharedClient, schema: try await Self.createSchema(), logger: Self.logger, timeout: Self.timeout)
        }
    }

    /// Two stores on one database, standing in for two processes or two servers.
    public func makeStorePair() async throws -> (SQLStore, SQLStore, cleanup: @Sendable () -> Void) {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("imageshare-\(UUID().uuidString)")
            let first = try await SQLStore.sqlite(directory: directory)
            let second = try await SQLStore.sqlite(directory: directory)
            return (first, second, { try? FileManager.default.removeItem(at: directory) })
        case .postgres:
            let schema = try await Self.createSchema()
            let first = try await SQLStore(
                engine: PostgresEngine(client: Self.sharedClient, schema: schema, logger: Self.logger, timeout: Self.timeout), sealer: Self.sealer)
            // A second connection pool, as a second server would have.
            let second = try await SQLStore(
                engine: PostgresEngine(client: Self.secondClient, schema: schema, logger: Self.logger, timeout: Self.timeout), sealer: Self.sealer)
            return (first, second, {})
        }
    }

    /// An engine on the test database whose statements the server cancels after `statementTimeout` and whose
    /// request transactions end after `timeout`.
    public static func postgresEngine(statementTimeout: Duration, timeout: Duration = .seconds(5)) -> PostgresEngine {
        let configuration = try! PostgresEngine.configuration(from: postgresURL!)
        let client = PostgresEngine.makeClient(url: configuration, logger: logger, statementTimeout: statementTimeout)
        Task.detached { await client.run() }
        return PostgresEngine(client: client, logger: logger, timeout: timeout)
    }

    private static let logger: Logger = {
        var logger = Logger(label: "store-tests")
        logger.logLevel = .error
        return logger
    }()

    private static let sealer = SecretSealer.ephemeral()

    /// The deadline of the test stores' transactions and statements. Every test of a run makes its own
    /// schema at once on a two-core machine, which can keep a transaction waiting past the server's 5 s; the
    /// tests of timeouts make engines of their own (`postgresEngine(statementTimeout:)`).
    private static let timeout: Duration = .seconds(30)

    private static func makeRunningClient() -> PostgresClient {
        let configuration = try! PostgresEngine.configuration(from: postgresURL!)
        // Every test of a suite runs at once, each with stores of its own: more than a server's 16 connections.
        let client = PostgresEngine.makeClient(
            url: configuration, logger: logger, statementTimeout: timeout, maximumConnections: 60)
        Task.detached { await client.run() }
        return client
    }

    private static let sharedClient = makeRunningClient()
    private static let secondClient = makeRunningClient()

    private static func createSchema() async throws -> String {
        let schema = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        // With the test stores' deadline: the 5 s default is what a schema made while every other test migrates
        // its own can miss (the CI run of 2026-12-03 07:33 failed 31 store tests so, all within one second).
        let admin = PostgresEngine(client: sharedClient, logger: logger, timeout: timeout)
        try await admin.write { db in _ = try db.execute("CREATE SCHEMA \(schema)", []) }
        return schema
    }
}
