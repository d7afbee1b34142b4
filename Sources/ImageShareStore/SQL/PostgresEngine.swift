import Foundation
import ImageShareCore
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// PostgreSQL through postgres-nio, for several servers on one database.
///
/// A transaction body is synchronous (see `SQLSession`), so it runs on a worker thread that waits for each
/// statement; the connection itself stays on its event loop. `run()` must be running (it is a `Service`)
/// for connections to be made.
public final class PostgresEngine: SQLEngine, Service {
    private let client: PostgresClient
    private let workers: NIOThreadPool
    private let logger: Logger
    /// How long one transaction may take before the request gets `ServiceUnavailable` instead of waiting on.
    private let timeout: Duration
    /// Every transaction runs with this `search_path` (tests give each store its own schema).
    private let schema: String?

    public var dialect: SQLDialect { .postgres }

    /// Connects lazily to `url` (`postgres://user:password@host:port/database`).
    public convenience init(url: String, logger: Logger, timeout: Duration = .seconds(5)) throws {
        self.init(
            client: Self.makeClient(url: try Self.configuration(from: url), logger: logger, statementTimeout: timeout),
            logger: logger, timeout: timeout)
    }

    /// An engine on an existing client, optionally confined to one schema.
    public init(client: PostgresClient, schema: String? = nil, logger: Logger, timeout: Duration = .seconds(5)) {
        self.client = client
        self.schema = schema
        workers = NIOThreadPool(numberOfThreads: 16)
        workers.start()
        self.logger = logger
        self.timeout = timeout
    }

    deinit { try? workers.syncShutdownGracefully() }

    /// A connection pool for `configuration`, failing fast when the server is unreachable.
    ///
    /// The server stops any statement after `statementTimeout` (by default the transaction deadline), so a
    /// query nobody foresaw cannot keep a connection and the database busy after its request has given up.
    public static func makeClient(
        url configuration: PostgresClient.Configuration, logger: Logger, statementTimeout: Duration = .seconds(5),
        maximumConnections: Int = 16
    ) -> PostgresClient {
        var configuration = configuration
        configuration.options.connectTimeout = .seconds(2)
        configuration.options.maximumConnections = maximumConnections
        let (seconds, attoseconds) = statementTimeout.components
        let milliseconds = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        configuration.options.additionalStartupParameters = [("statement_timeout", String(milliseconds))]
        // The pool warns when a lease comes a moment before `run()` has begun, which is how every process
        // starts (the lease simply waits); the engine itself logs what matters to an operator.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .error)
        return PostgresClient(configuration: configuration, backgroundLogger: poolLogger)
    }

    /// Keeps the connection pool alive until cancelled or shut down.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.client.run() }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        try await transaction("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", body)
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        try await transaction("BEGIN", body)
    }

    public func maintain<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        // `.some(nil)`: no deadline at all (a bare `nil` would be the outer optional, meaning the default).
        try await transaction("BEGIN", deadline: .some(nil), body)
    }

    private func transaction<T: Sendable>(
        _ begin: String, deadline: Duration?? = .none, _ body: @escaping @Sendable (any SQLSession) throws -> T
    ) async throws -> T {
        let logger = logger
        let workers = workers
        let setSchema = schema.map { "SET LOCAL search_path TO \"\($0)\"" }
        let limit = deadline ?? timeout
        // Each statement's wait on the worker thread ends by the transaction's deadline too: a task group
        // cannot take back a thread blocked on a connection that died without failing its query.
        let statementDeadline = limit.map(Self.dispatchDeadline(after:)) ?? .distantFuture
        do {
            return try await withDeadline(limit) { [client] in
                try await client.withConnection { connection in
                    try await workers.runIfActive {
                        let session = PostgresSession(connection: connection, logger: logger, deadline: statementDeadline)
                        // Sent without waiting: their answers come before the first statement's (see `send`).
                        session.send(begin)
                        if let setSchema { session.send(setSchema) }
                        do {
                            let result = try body(session)
                            _ = try session.execute("COMMIT", [])
                            return result
                        } catch {
                            _ = try? session.execute("ROLLBACK", [])
                            throw error
                        }
                    }
                }
            }
        } catch let error as ECSError {
            throw error
        } catch let error as PSQLError {
            guard error.code == .server else {
                logger.warning("database unavailable", metadata: ["error": "\(error.code)"])
                throw ECSError.serviceUnavailable
            }
            throw Self.translate(
                error, sqlState: error.serverInfo?[.sqlState] ?? "", message: error.serverInfo?[.message] ?? "", logger: logger)
        } catch let error as PostgresError {
            // Statements run through the connection's EventLoopFuture API, which reports errors this way.
            guard case let .server(response) = error else {
                logger.warning("database unavailable", metadata: ["error": "\(error)"])
                throw ECSError.serviceUnavailable
            }
            throw Self.translate(
                error, sqlState: response.fields[.sqlState] ?? "", message: response.fields[.message] ?? "", logger: logger)
        } catch is DeadlineExceeded, is StatementTimedOut {
            logger.warning("database transaction timed out")
            throw ECSError.serviceUnavailable
        } catch let error as IOError {
            // A connection reset or refused below postgres-nio's own error types.
            logger.warning("database unavailable", metadata: ["error": "\(error)"])
            throw ECSError.serviceUnavailable
        } catch let error as ChannelError {
            logger.warning("database unavailable", metadata: ["error": "\(error)"])
            throw ECSError.serviceUnavailable
        }
    }

    private static func dispatchDeadline(after duration: Duration) -> DispatchTime {
        let (seconds, attoseconds) = duration.components
        return .now() + .milliseconds(Int(seconds) * 1_000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    /// Connection trouble and cancelled statements are temporary for the client (503); any other server-side
    /// SQL error is a bug (500).
    private static func translate(_ error: any Error, sqlState state: String, message: String, logger: Logger) -> any Error {
        // 08xxx: connection exception; 57P0x: the server is shutting down or restarting; 53xxx: out of
        // resources; 57014: a statement ran past statement_timeout.
        if state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53") || state == "57014" {
            return ECSError.serviceUnavailable
        }
        logger.error("database error", metadata: ["sqlState": "\(state)", "message": "\(message)"])
        return error
    }

    /// Parses `postgres://user:password@host:port/database` (also `postgresql://`).
    public static func configuration(from url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty
        else { throw InvalidDatabaseURL(url: url) }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let tls = components.queryItems?.first { $0.name == "sslmode" }?.value == "require"
        return PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database.isEmpty ? nil : database, tls: tls ? .require(.makeClientConfiguration()) : .disable)
    }

    /// A `--database` value that is not a usable PostgreSQL URL.
    public struct InvalidDatabaseURL: Error, CustomStringConvertible {
        let url: String
        public var description: String {
            "not a PostgreSQL URL (expected postgres://user:password@host:port/database)"
        }
    }
}

/// A deadline passed before the work finished.
struct DeadlineExceeded: Error {}

/// Runs `work`, giving up with `DeadlineExceeded` after `timeout` (never without one).
func withDeadline<T: Sendable>(_ timeout: Duration?, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
    guard let timeout else { return try await work() }
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await work() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw DeadlineExceeded()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Where a session keeps the first failure of a statement it did not wait for.
final class UnawaitedFailure: Sendable {
    let first = Mutex<(any Error)?>(nil)
}

/// A statement's answer did not come by its transaction's deadline; its connection was closed.
struct StatementTimedOut: Error {}

/// One PostgreSQL connection inside a transaction, used from a worker thread that waits for each statement.
struct PostgresSession: SQLSession {
    let connection: PostgresConnection
    let logger: Logger
    /// When waiting for a statement stops.
    let deadline: DispatchTime
    /// The first failure among statements sent without waiting for their answer.
    private let unawaited = UnawaitedFailure()
    var dialect: SQLDialect { .postgres }

    init(connection: PostgresConnection, logger: Logger, deadline: DispatchTime) {
        self.connection = connection
        self.logger = logger
        self.deadline = deadline
    }

    /// Sends a statement whose answer nobody waits for (`BEGIN`): one round trip less per transaction.
    ///
    /// PostgreSQL answers a connection's statements in order, so its answer has come by the time the next
    /// statement's has, and that statement fails with its failure. Nothing runs outside the transaction on a
    /// failed `BEGIN`: it fails only when the connection does, and then so does everything after it.
    func send(_ sql: String) {
        connection.query(sql, []).whenFailure { [unawaited] error in
            unawaited.first.withLock { $0 = $0 ?? error }
        }
    }

    func fetchAll(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        var columns: SQLColumns?
        return try run(sql, arguments).rows.map { row in
            let shared = columns ?? SQLColumns(row.map(\.columnName))
            columns = shared
            return try Self.row(row, columns: shared)
        }
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    private func run(_ sql: String, _ arguments: [SQLValue]) throws -> PostgresQueryResult {
        // Waiting is safe here: this is a worker thread, never the connection's event loop. The wait is bounded:
        // a database that dies mid-statement can leave the query's future unanswered.
        let answer = Mutex<Result<PostgresQueryResult, any Error>?>(nil)
        let arrived = DispatchSemaphore(value: 0)
        connection.query(Self.numbered(sql), arguments.map(Self.data)).whenComplete { result in
            answer.withLock { $0 = result }
            arrived.signal()
        }
        guard arrived.wait(timeout: deadline) == .success, let result = answer.withLock({ $0 }) else {
            // The pool drops a closed connection and makes a new one for the next lease.
            connection.close().whenComplete { _ in }
            throw StatementTimedOut()
        }
        if let failure = unawaited.first.withLock({ $0 }) { throw failure }
        return try result.get()
    }

    /// Rewrites `?` placeholders as `$1, $2, …`, leaving quoted text alone (on UTF-8 bytes: both are ASCII,
    /// and walking characters would cost more than the statement's round trip on every call).
    static func numbered(_ sql: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(sql.utf8.count + 16)
        var index = 0
        var quoted = false
        for byte in sql.utf8 {
            if byte == UInt8(ascii: "'") { quoted.toggle() }
            if byte == UInt8(ascii: "?"), !quoted {
                index += 1
                output.append(UInt8(ascii: "$"))
                output.append(contentsOf: String(index).utf8)
            } else {
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func data(_ value: SQLValue) -> PostgresData {
        switch value {
        case .null: .null
        case let .integer(number): PostgresData(int64: number)
        case let .text(text): PostgresData(string: text)
        case let .blob(data): PostgresData(bytes: [UInt8](data))
        }
    }

    private static func row(_ row: PostgresRow, columns: SQLColumns) throws -> SQLRow {
        var values: [SQLValue] = []
        for cell in row {
            guard cell.bytes != nil else {
                values.append(.null)
                continue
            }
            switch cell.dataType {
            case .int2, .int4, .int8, .oid: values.append(.integer(try cell.decode(Int64.self)))
            case .bool: values.append(.integer(try cell.decode(Bool.self) ? 1 : 0))
            case .bytea: values.append(.blob(Data(try cell.decode(ByteBuffer.self).readableBytesView)))
            default: values.append(.text(try cell.decode(String.self)))
            }
        }
        return SQLRow(columns: columns, values: values)
    }
}
