import Foundation
import ImageShareCore

extension SQLStore: CredentialStore {
    public func accessKey(id: String) async throws -> AccessKey? {
        try await read { db in
            try SQLRow.fetchOne(
                db,
                // A key of a disabled account is as unusable as a disabled key.
                sql: """
                    SELECT k.id, k.account_id, k.secret_sealed, (k.enabled = 1 AND a.enabled = 1) AS enabled, k.created_at
                    FROM access_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = ?
                    """,
                arguments: [id]
            ).map(self.accessKey(from:))
        }
    }

    func accessKey(from row: SQLRow) throws -> AccessKey {
        AccessKey(
            id: try row.get("id"), accountId: try row.get("account_id"), secret: try sealer.open(try row.get("secret_sealed")),
            isEnabled: try row.get("enabled"), createdAt: Date(storeMillis: try row.get("created_at")))
    }
}
