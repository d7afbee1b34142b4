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
            // A store emptied on purpose is not a new one: no first account is made for it at the next start.
            return 0
        }
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
        let tables = try await write { db in
            try Self.snapshotTables.map { table in
                let rows = try db.fetchAll("SELECT * FROM \(table)", [SQLValue]())
                return SavedTable(name: table, columns: rows.first?.columnNames ?? [], rows: rows.map(\.allValues))
            }
        }
        let bytes = tables.reduce(0) { total, table in
            total + table.rows.reduce(0) { $0 + $1.reduce(0) { $0 + $1.approximateByteCount } }
        }
        return StateSnapshot(
            content: SavedState(tables: tables, identifierPosition: identifiers.position), byteCount: bytes,
            rowCount: tables.reduce(0) { $0 + $1.rows.count })
    }

    public func restoreState(_ snapshot: StateSnapshot) async throws {
        guard let saved = snapshot.content as? SavedState else { throw ECSError.internalError }
        _ = try await write { db in
            for table in Self.snapshotTables { try db.execute("DELETE FROM \(table)") }
            for table in saved.tables.reversed() where !table.rows.isEmpty {
                let sql = "INSERT INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES (\(placeholders(table.columns.count)))"
                for row in table.rows { try db.execute(sql, row) }
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
