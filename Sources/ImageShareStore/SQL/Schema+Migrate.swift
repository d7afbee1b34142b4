import Foundation

extension Schema {
    /// Names of the migrations this database has not applied yet, in order.
    static func pendingMigrations(_ engine: any SQLEngine) async throws -> [String] {
        try await engine.read { db in try pending(in: db) }
    }

    /// Whether any migration was ever applied here (an ImageShare store exists in this database).
    static func exists(_ engine: any SQLEngine) async throws -> Bool {
        try await engine.read { db in try db.fetchValue(db.dialect.tableExistsSQL, ["schema_migrations"], as: Int.self) ?? 0 > 0 }
    }

    /// Applies every pending migration (or those up to and including `last`: tests make old stores so) in one
    /// transaction; returns their names.
    @discardableResult
    static func migrate(_ engine: any SQLEngine, through last: String? = nil) async throws -> [String] {
        let wanted = migrations.firstIndex { $0.name == last }.map { migrations[...$0] } ?? migrations[...]
        return try await engine.maintain { db in
            if let unlimited = db.dialect.unlimitedStatementTime { try db.execute(unlimited) }
            if let lock = db.dialect.migrationLock { _ = try db.fetchAll(lock) }
            try db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY NOT NULL, applied_at BIGINT NOT NULL)")
            let pending = try pending(in: db)
            let applying = wanted.filter { pending.contains($0.name) }
            for migration in applying {
                for statement in migration.statements(for: db.dialect) { try db.execute(statement) }
                try db.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", [migration.name, Date().storeMillis])
            }
            return applying.map(\.name)
        }
    }

    private static func pending(in db: any SQLSession) throws -> [String] {
        let exists = try db.fetchValue(db.dialect.tableExistsSQL, ["schema_migrations"], as: Int.self) ?? 0
        let applied = exists == 0
            ? Set<String>() : Set(try db.fetchAll("SELECT name FROM schema_migrations").map { try $0.first(as: String.self) })
        return migrations.map(\.name).filter { !applied.contains($0) }
    }
}
