import Foundation
import ImageShareCore

extension SQLStore {
    /// Runs `body` once per ClientToken: a repeat with the same fingerprint returns the recorded IDs without
    /// running again, a repeat with other parameters fails. Runs inside the caller's transaction.
    static func idempotent(
        _ db: any SQLSession, _ key: IdempotencyKey?, now: Date, _ body: () throws -> [String]
    ) throws -> [String] {
        guard let key else { return try body() }
        // Two requests with one token on two nodes must not both run the body.
        try lockAccount(db, key.accountId)
        if let row = try SQLRow.fetchOne(
            db, sql: "SELECT fingerprint, result FROM client_tokens WHERE account_id = ? AND action = ? AND token = ?",
            arguments: [key.accountId, key.action, key.token])
        {
            guard try row.get("fingerprint") as String == key.fingerprint else { throw ECSError.idempotentParameterMismatch }
            let result: String = try row.get("result")
            return result.isEmpty ? [] : result.split(separator: ",").map(String.init)
        }
        let ids = try body()
        try db.execute(
            sql: """
                INSERT INTO client_tokens (account_id, action, token, fingerprint, result, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [key.accountId, key.action, key.token, key.fingerprint, ids.joined(separator: ","), now.storeMillis])
        return ids
    }

    /// Holds the account's row until the transaction ends: serializes an account's quota and token checks.
    static func lockAccount(_ db: any SQLSession, _ accountId: String) throws {
        _ = try db.fetchAll("SELECT id FROM accounts WHERE id = ?\(db.dialect.forUpdate)", [accountId])
    }
}
