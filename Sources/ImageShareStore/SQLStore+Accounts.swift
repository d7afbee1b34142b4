import Foundation
import ImageShareCore

extension SQLStore: AccountStore {
    public func createAccount(name: String, now: Date) async throws -> (Account, IssuedCredentials) {
        let keyID = identifiers.accessKeyID()
        let secret = identifiers.accessKeySecret()
        let sealed = try sealer.seal(secret)
        let account = try await write { [identifiers] db in
            try Self.insertAccount(db, name: name, keyID: keyID, sealed: sealed, generator: identifiers, now: now)
        }
        return (account, IssuedCredentials(accountId: account.id, accessKeyId: keyID, accessKeySecret: secret))
    }

    public func createAccount(_ known: KnownAccount, now: Date) async throws -> Account {
        let sealed = try sealer.seal(known.accessKeySecret)
        return try await write { db in
            let taken = try db.fetchOne(
                "SELECT 1 FROM accounts WHERE id = ? UNION ALL SELECT 1 FROM access_keys WHERE id = ?",
                [known.accountId, known.accessKeyId])
            guard taken == nil else {
                throw ECSError.invalidParameter("AccountId", "account \(known.accountId) or AccessKey \(known.accessKeyId) exists already")
            }
            try db.execute(
                "INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)", [known.accountId, known.name, now.storeMillis])
            try Self.insertKey(db, id: known.accessKeyId, accountId: known.accountId, sealed: sealed, now: now)
            return Account(id: known.accountId, name: known.name, createdAt: now)
        }
    }

    /// Creates the store's first account, unless one was created before: the `first_account` setting is
    /// recorded in the same transaction, so of several servers starting on a new store exactly one does it.
    public func createFirstAccount(name: String, now: Date) async throws -> IssuedCredentials? {
        let keyID = identifiers.accessKeyID()
        let secret = identifiers.accessKeySecret()
        let sealed = try sealer.seal(secret)
        let account = try await write { [identifiers] db -> Account? in
            let claimed = try db.execute(
                "INSERT INTO store_settings (name, value) VALUES ('first_account', ?) ON CONFLICT (name) DO NOTHING",
                [now.storeMillis.description]) == 1
            guard claimed, try db.fetchOne("SELECT 1 FROM accounts LIMIT 1") == nil else { return nil }
            return try Self.insertAccount(db, name: name, keyID: keyID, sealed: sealed, generator: identifiers, now: now)
        }
        return account.map { IssuedCredentials(accountId: $0.id, accessKeyId: keyID, accessKeySecret: secret) }
    }

    /// Inserts an account with a new random ID and its first key.
    private static func insertAccount(
        _ db: any SQLSession, name: String, keyID: String, sealed: Data, generator: IdentifierGenerator, now: Date
    ) throws -> Account {
        // A random 16-digit ID collides rarely; try again instead of failing the operator's command.
        for _ in 0..<8 {
            let account = Account(id: generator.accountID(), name: name, createdAt: now)
            let exists = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?)", arguments: [account.id]) ?? false
            if exists { continue }
            try db.execute(
                sql: "INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)", arguments: [account.id, name, now.storeMillis])
            try insertKey(db, id: keyID, accountId: account.id, sealed: sealed, now: now)
            return account
        }
        throw ECSError.internalError
    }

    public func accounts() async throws -> [Account] {
        try await read { db in
            try SQLRow.fetchAll(db, sql: "SELECT id, name, created_at, enabled FROM accounts ORDER BY created_at, id")
                .map { try Self.account(from: $0) }
        }
    }

    public func account(id: String) async throws -> Account? {
        try await read { db in
            try SQLRow.fetchOne(db, sql: "SELECT id, name, created_at, enabled FROM accounts WHERE id = ?", arguments: [id])
                .map { try Self.account(from: $0) }
        }
    }

    public func createAccessKey(accountId: String, now: Date) async throws -> IssuedCredentials? {
        let keyID = identifiers.accessKeyID()
        let secret = identifiers.accessKeySecret()
        let sealed = try sealer.seal(secret)
        let created = try await write { db in
            let exists = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?)", arguments: [accountId]) ?? false
            guard exists else { return false }
            try Self.insertKey(db, id: keyID, accountId: accountId, sealed: sealed, now: now)
            return true
        }
        return created ? IssuedCredentials(accountId: accountId, accessKeyId: keyID, accessKeySecret: secret) : nil
    }

    public func accessKeys(accountId: String) async throws -> [AccessKey] {
        try await read { db in
            try SQLRow.fetchAll(
                db,
                sql: """
                    SELECT id, account_id, secret_sealed, enabled, created_at FROM access_keys
                    WHERE account_id = ? ORDER BY created_at, id
                    """,
                arguments: [accountId]
            ).map(self.accessKey(from:))
        }
    }

    public func setAccessKeyEnabled(_ enabled: Bool, accessKeyId: String, accountId: String) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "UPDATE access_keys SET enabled = ? WHERE id = ? AND account_id = ?",
                arguments: [enabled, accessKeyId, accountId]) == 1
        }
    }

    public func setAccountEnabled(_ enabled: Bool, accountId: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE accounts SET enabled = ? WHERE id = ?", arguments: [enabled, accountId]) == 1
        }
    }

    private static func insertKey(_ db: any SQLSession, id: String, accountId: String, sealed: Data, now: Date) throws {
        try db.execute(
            sql: "INSERT INTO access_keys (id, account_id, secret_sealed, enabled, created_at) VALUES (?, ?, ?, 1, ?)",
            arguments: [id, accountId, sealed, now.storeMillis])
    }

    static func account(from row: SQLRow) throws -> Account {
        Account(
            id: try row.get("id"), name: try row.get("name"), createdAt: Date(storeMillis: try row.get("created_at")),
            isEnabled: try row.get("enabled"))
    }
}
