import Foundation
import GRDB
import ImageShareCore

/// The embedded engine: SQLite through GRDB, in WAL mode so a server and the admin CLI share one file.
public struct SQLiteEngine: SQLEngine {
    let writer: any DatabaseWriter
    /// Where request transactions wait to be committed together.
    private let batches: SQLiteWriteBatches
    /// How long one read may run before it is interrupted.
    let readBudget: Duration
    /// Set for database files, so that request commits rarely pay for a checkpoint.
    private let checkpointer: WALCheckpointer?
    /// Held while the file is open, so that a restore cannot replace it underneath.
    private let directoryLock: DirectoryLock?
    public var dialect: SQLDialect { .sqlite }

    /// Opens (creating if needed) the database file at `path`, readable by its owner only.
    public init(path: String, readBudget: Duration = ReadBudget.defaultLimit) throws {
        self.readBudget = readBudget
        directoryLock = try DirectoryLock(directory: URL(fileURLWithPath: path).deletingLastPathComponent().path, exclusive: false)
        // SQLite gives the -wal and -shm files the mode of the database file, so one private file keeps all
        // three private, whatever the umask.
        for file in [path, path + "-wal", path + "-shm"] where file == path || FileManager.default.fileExists(atPath: file) {
            try FilePermissions.makePrivateFile(file)
        }
        var configuration = Configuration()
        // Another process (the CLI or a second server) may hold the write lock for a moment.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in ReadBudget.install(on: db) }
        let pool = try Self.retryingWhileBusy { try DatabasePool(path: path, configuration: configuration) }
        // Acknowledged writes survive a crash of the process and of the machine: every commit syncs the WAL.
        // Set here, not in `prepareDatabase`: GRDB sets its writer to synchronous=NORMAL (the WAL synced only at
        // checkpoints) after preparing it, when it switches the file to WAL.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        writer = pool
        batches = SQLiteWriteBatches(writer: writer, translate: Self.translate)
        checkpointer = try Self.retryingWhileBusy { try WALCheckpointer(path: path) }
    }

    /// Opens a connection, waiting while another process holds the lock that switching a new database to WAL
    /// needs: SQLite answers that switch with SQLITE_BUSY at once instead of calling the busy handler, which is
    /// what two processes starting together on a new data directory meet.
    private static func retryingWhileBusy<T>(_ open: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(10)
        while true {
            do {
                return try open()
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                usleep(20_000)
            }
        }
    }

    /// A private in-memory database, for tests.
    public init(readBudget: Duration = ReadBudget.defaultLimit) throws {
        self.readBudget = readBudget
        var configuration = Configuration()
        configuration.prepareDatabase { db in ReadBudget.install(on: db) }
        writer = try DatabaseQueue(configuration: configuration)
        batches = SQLiteWriteBatches(writer: writer, translate: Self.translate)
        checkpointer = nil
        directoryLock = nil
    }

    // Reads run on GRDB's reader connections, never on the threads that serve requests, and within
    // `ReadBudget`: a slow query can delay only itself.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        do {
            return try await writer.read { [readBudget] db in
                try ReadBudget.run(limit: readBudget) { try body(GRDBSession(db: db)) }
            }
        } catch let error as DatabaseError {
            throw Self.translate(error)
        }
    }

    /// Concurrent writes share one transaction and one commit (see `SQLiteWriteBatches`).
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        try await batches.write { db in try body(GRDBSession(db: db)) }
    }

    /// In a transaction of its own, never combined with requests' writes: a migration or a whole state file may be long.
    public func maintain<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        do { return try await writer.write { db in try body(GRDBSession(db: db)) } } catch {
            throw Self.translate(error)
        }
    }

    /// A busy or failing database is a temporary condition for the client, not a bug.
    private static func translate(_ error: any Error) -> any Error {
        switch (error as? DatabaseError)?.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_IOERR, .SQLITE_FULL, .SQLITE_CANTOPEN, .SQLITE_INTERRUPT:
            ECSError.serviceUnavailable
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
