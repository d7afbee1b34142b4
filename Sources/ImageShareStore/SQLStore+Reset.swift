import Foundation
import ImageShareCore

extension SQLStore: StoreReset {
    /// Every table of account data, children before the tables they reference.
    static let accountDataTables = [
        "security_group_tags", "security_group_rules", "snapshot_tags", "disk_tags", "instance_tags", "image_tags",
        "image_shares", "image_disks", "snapshots", "disks", "instances", "images", "security_groups",
        "client_tokens", "console_sessions", "sign_in_failures", "signature_nonces", "access_keys", "rate_buckets",
        "accounts",
    ]

    /// The tables a snapshot leaves alone: restoring old nonces would make requests signed since replayable,
    /// and restoring buckets or sign-in failures would hand back tokens and attempts already spent.
    static let protectionTables: Set = ["signature_nonces", "rate_buckets", "sign_in_failures"]

    /// The tables a snapshot saves, children first (restore inserts them in the reverse order).
    static var snapshotTables: [String] { accountDataTables.filter { !protectionTables.contains($0) } }

    public func eraseEverything() async throws {
        _ = try await write { db in
            for table in Self.accountDataTables { try db.execute("DELETE FROM \(table)") }
            if db.dialect.kind == .sqlite { try db.execute("DELETE FROM nonce_log") }
            // A store emptied on purpose is not a new one: no first account is made for it at the next start.
            return 0
        }
        nonceWindow?.removeAll()
        identifiers.restart()
    }

    /// One table's rows as read, with their column names.
    struct SavedTable: Sendable {
        let name: String
        let columns: [String]
        let rows: [[SQLValue]]
    }

    /// What a snapshot of this store holds.
    struct SavedState: Sendable {
        let tables: [SavedTable]
        let identifierPosition: UInt64?
    }

    public func saveState() async throws -> StateSnapshot {
        // One write transaction: the copy is a single consistent moment even with writers on other nodes.
        let tables = try await write { db in try Self.savedTables(Self.snapshotTables, in: db) }
        let bytes = tables.reduce(0) { total, table in
            total + table.rows.reduce(0) { $0 + $1.reduce(0) { $0 + $1.approximateByteCount } }
        }
        return StateSnapshot(
            content: SavedState(tables: tables, identifierPosition: identifiers.position), byteCount: bytes,
            rowCount: tables.reduce(0) { $0 + $1.rows.count })
    }

    /// Every row of `tables`, each table ordered by its first column, so that two reads of one state compare equal.
    static func savedTables(_ tables: [String], in db: any SQLSession) throws -> [SavedTable] {
        try tables.map { table in
            let rows = try db.fetchAll("SELECT * FROM \(table) ORDER BY 1", [SQLValue]())
            return SavedTable(name: table, columns: rows.first?.columnNames ?? [], rows: rows.map(\.allValues))
        }
    }

    /// Empties every table a snapshot or a state file replaces (protection tables stay).
    static func deleteReplaceableRows(in db: any SQLSession) throws {
        for table in snapshotTables { try db.execute("DELETE FROM \(table)") }
    }

    /// One row put back: a snapshot's or a state file's.
    static func insert(into table: String, columns: [String], values: [SQLValue], in db: any SQLSession) throws {
        try db.execute(
            "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders(columns.count)))", values)
    }

    public func restoreState(_ snapshot: StateSnapshot) async throws {
        guard let saved = snapshot.content as? SavedState else { throw ECSError.internalError }
        _ = try await write { db in
            try Self.deleteReplaceableRows(in: db)
            for table in saved.tables.reversed() {
                for row in table.rows { try Self.insert(into: table.name, columns: table.columns, values: row, in: db) }
            }
            return 0
        }
        identifiers.position = saved.identifierPosition
    }
}

extension SQLValue {
    /// Roughly what the value costs in memory.
    var approximateByteCount: Int {
        switch self {
        case .null: 1
        case .integer: 8
        case let .text(text): text.utf8.count + 16
        case let .blob(data): data.count + 16
        }
    }
}
