import Foundation

/// The differences between the SQL dialects the store speaks.
public struct SQLDialect: Sendable {
    /// The engines the store runs on.
    public enum Kind: Sendable { case sqlite, postgres }
    public let kind: Kind
    /// `LIKE` (already case-insensitive for ASCII in SQLite) or `ILIKE`.
    public let caseInsensitiveLike: String
    /// Appended to a SELECT that must lock its rows until the transaction ends (empty where writes are serialized).
    public let forUpdate: String
    /// Appended to a SELECT whose rows must not change until the transaction ends, while other readers that
    /// only need the same may hold them too (launching from an image; unsharing or deleting it waits).
    public let forShare: String
    /// The column type for binary data.
    public let blobType: String
    /// Table options only SQLite has.
    public let withoutRowID: String
    /// Taken at the start of a migration so that nodes starting together migrate one after another
    /// (SQLite's write lock already does that).
    public let migrationLock: String?
    /// Counts tables named `?` in the current schema.
    public let tableExistsSQL: String
    /// Lifts the per-statement time limit for the rest of a transaction (migrations may take long).
    public let unlimitedStatementTime: String?

    public static let sqlite = SQLDialect(
        kind: .sqlite, caseInsensitiveLike: "LIKE", forUpdate: "", forShare: "", blobType: "BLOB", withoutRowID: " WITHOUT ROWID", migrationLock: nil,
        tableExistsSQL: "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", unlimitedStatementTime: nil)
    public static let postgres = SQLDialect(
        kind: .postgres, caseInsensitiveLike: "ILIKE", forUpdate: " FOR UPDATE", forShare: " FOR SHARE", blobType: "BYTEA", withoutRowID: "",
        // Per schema: nodes of one store migrate one after another; stores in other schemas do not wait.
        migrationLock: "SELECT pg_advisory_xact_lock(hashtextextended('imageshare migrations ' || current_schema(), 0))",
        tableExistsSQL: "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?",
        unlimitedStatementTime: "SET LOCAL statement_timeout = 0")
}

/// A connection inside one transaction. Statements use `?` placeholders on every engine.
///
/// Synchronous on purpose: store operations are short read-decide-write sequences, and one synchronous body
/// runs unchanged inside a GRDB transaction and on a worker thread of the PostgreSQL engine.
public protocol SQLSession {
    var dialect: SQLDialect { get }

    /// Every row the statement returns.
    func fetchAll(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]

    /// Runs a statement and returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int
}

extension SQLSession {
    func fetchAll(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> [SQLRow] {
        try fetchAll(sql, arguments.map { $0.sqlValue })
    }

    func fetchOne(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> SQLRow? {
        try fetchAll(sql, arguments.map { $0.sqlValue }).first
    }

    /// The first column of the first row (COUNT, EXISTS, a single field).
    func fetchValue<T: SQLDecodable>(_ sql: String, _ arguments: [any SQLBindable] = [], as type: T.Type = T.self) throws -> T? {
        guard let row = try fetchAll(sql, arguments.map { $0.sqlValue }).first else { return nil }
        return try row.first(as: T.self)
    }

    @discardableResult
    func execute(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> Int {
        try execute(sql, arguments.map { $0.sqlValue })
    }
}

/// A database engine: runs synchronous bodies inside read or write transactions.
public protocol SQLEngine: Sendable {
    var dialect: SQLDialect { get }

    /// Runs `body` in a transaction that sees one consistent snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T

    /// Runs `body` in a write transaction, committed if it returns and rolled back if it throws.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T

    /// A write transaction without the deadline requests have: migrations and whole-store state files, which
    /// may take long on a big store.
    func maintain<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T
}

extension SQLEngine {
    public func maintain<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        try await write(body)
    }
}

extension SQLValue: SQLBindable {
    public var sqlValue: SQLValue { self }
}

extension SQLSession {
    /// Runs a statement and returns how many rows it changed.
    @discardableResult
    func execute(sql: String, arguments: [any SQLBindable] = []) throws -> Int {
        try execute(sql, arguments.map { $0.sqlValue })
    }
}

extension SQLRow {
    static func fetchAll(_ db: any SQLSession, sql: String, arguments: [any SQLBindable] = []) throws -> [SQLRow] {
        try db.fetchAll(sql, arguments.map { $0.sqlValue })
    }

    static func fetchOne(_ db: any SQLSession, sql: String, arguments: [any SQLBindable] = []) throws -> SQLRow? {
        try db.fetchAll(sql, arguments.map { $0.sqlValue }).first
    }
}

extension SQLDecodable {
    /// The first column of the first row, or nil without rows.
    static func fetchOne(_ db: any SQLSession, sql: String, arguments: [any SQLBindable] = []) throws -> Self? {
        try db.fetchAll(sql, arguments.map { $0.sqlValue }).first.map { try $0.first(as: Self.self) }
    }

    /// The first column of every row.
    static func fetchAll(_ db: any SQLSession, sql: String, arguments: [any SQLBindable] = []) throws -> [Self] {
        try db.fetchAll(sql, arguments.map { $0.sqlValue }).map { try $0.first(as: Self.self) }
    }
}
