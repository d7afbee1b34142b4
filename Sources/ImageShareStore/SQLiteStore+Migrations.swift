import GRDB

extension SQLiteStore {
    /// The schema, one named migration per change; names are shared with every engine.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001_accounts_and_keys") { db in
            try db.execute(
                sql: """
                    CREATE TABLE accounts (
                        id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 16),
                        name TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE access_keys (
                        id TEXT PRIMARY KEY NOT NULL,
                        account_id TEXT NOT NULL REFERENCES accounts(id),
                        secret_sealed BLOB NOT NULL,
                        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
                        created_at INTEGER NOT NULL
                    );
                    CREATE INDEX access_keys_by_account ON access_keys(account_id);
                    CREATE TABLE signature_nonces (
                        access_key_id TEXT NOT NULL,
                        nonce TEXT NOT NULL,
                        expires_at INTEGER NOT NULL,
                        PRIMARY KEY (access_key_id, nonce)
                    ) WITHOUT ROWID;
                    CREATE INDEX signature_nonces_by_expiry ON signature_nonces(expires_at);
                    """)
        }
        return migrator
    }
}
