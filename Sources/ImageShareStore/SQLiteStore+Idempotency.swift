import Foundation
import GRDB
import ImageShareCore

extension SQLiteStore {
    /// Runs `body` once per ClientToken: a repeat with the same fingerprint returns the recorded IDs without
    /// running again, a repeat with other parameters fails. Runs inside the caller's transaction.
    static func idempotent(
        _ db: Database, _ key: IdempotencyKey?, now: Date, _ body: () throws -> [String]
    ) throws -> [String] {
        guard let key else { return try body() }
        if let row = try Row.fetchOne(
            db, sql: "SELECT fingerprint, result FROM client_tokens WHERE account_id = ? AND action = ? AND token = ?",
            arguments: [key.accountId, key.action, key.token])
        {
            guard row["fingerprint"] as String == key.fingerprint else { throw ECSError.idempotentParameterMismatch }
            let result: String = row["result"]
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
}
