import Foundation
import GRDB
import ImageShareCore

/// The embedded engine: SQLite through GRDB, in WAL mode so a server and the admin CLI share one file.
public struct SQLiteEngine: SQLEngine {
    let writer: any DatabaseWriter
    /// Set for database files, so that request commits rarely pay for a checkpoint.
    private let checkpointer: WALCheckpointer?
    public var dialect: SQLDialect { .sqlite }

    /// Opens (creating if needed) the database file at `path`.
    public init(path: String) throws {
        var configuration = Configuration()
        // Another process (the CLI or a second server) may hold the write lock for a moment.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Acknowledged writes survive a crash of the process and of the machine.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        writer = try DatabasePool(path: path, configuration: configuration)
        checkpointer = try WALCheckpointer(path: path)
    }

    /// A private in-memory database, for tests.
    public init() throws {
        writer = try DatabaseQueue()
        checkpointer = nil
    }

    // Reads run on the calling thread: in WAL mode they never wait for the write lock, and the store's reads
    // take microseconds, less than a hop to GRDB's reader queue and back (measured in BENCHMARKS.md).
    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        do { return try readOnCallingThread(body) } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }

    // Not async, so that Swift picks GRDB's blocking `read` rather than its asynchronous overload.
    private func readOnCallingThread<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        try writer.read { db in try body(GRDBSession(db: db)) }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        do { return try await writer.write { db in try body(GRDBSession(db: db)) } } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }

    /// A busy or failing database is a temporary condition for the client, not a bug.
    private static func translate(_ error: DatabaseError) -> any Error {
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_IOERR, .SQLITE_FULL, .SQLITE_CANTOPEN: ECSError.serviceUnavailable
        default: error
        }
    }
}

/// A GRDB connection seen through `SQLSession`.
struct GRDBSession: SQLSession {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    // Prepared statements are cached per connection: the same few statements run on every request.
    func fetchAll(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        let statement = try db.cachedStatement(sql: sql)
        let columns = SQLColumns(statement.columnNames)
        let cursor = try Row.fetchCursor(statement, arguments: StatementArguments(arguments.map(Self.databaseValue)))
        var rows: [SQLRow] = []
        while let row = try cursor.next() {
            rows.append(SQLRow(columns: columns, values: row.databaseValues.map(Self.sqlValue)))
        }
        return rows
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(arguments.map(Self.databaseValue)))
        return db.changesCount
    }

    private static func databaseValue(_ value: SQLValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case let .integer(number): number.databaseValue
        case let .text(text): text.databaseValue
        case let .blob(data): data.databaseValue
        }
    }

    private static func sqlValue(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: .null
        case let .int64(number): .integer(number)
        case let .double(number): .integer(Int64(number))
        case let .string(text): .text(text)
        case let .blob(data): .blob(data)
        }
    }
}
