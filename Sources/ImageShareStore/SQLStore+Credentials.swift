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

    /// Claims of concurrent requests are committed together (see `GroupCommit`); each is durable before it
    /// is answered.
    public func claimNonce(_ nonce: String, accessKeyId: String, now: Date, expiresAt: Date) async throws -> NonceClaimResult {
        let start = ContinuousClock.now
        defer { latency.record(.write, ContinuousClock.now - start) }
        return try await nonceClaims.submit(NonceClaim(accessKeyId: accessKeyId, nonce: nonce, now: now, expiresAt: expiresAt))
    }

    /// One nonce to record.
    struct NonceClaim: Sendable {
        let accessKeyId: String
        let nonce: String
        let now: Date
        let expiresAt: Date
    }

    /// Records each claim in order, so a nonce repeated within one batch is refused the second time.
    static func record(_ claims: [NonceClaim], in db: any SQLSession) throws -> [NonceClaimResult] {
        try claims.map { claim in
            let enabled = try Bool.fetchOne(
                db,
                sql: "SELECT (k.enabled = 1 AND a.enabled = 1) FROM access_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = ?",
                arguments: [claim.accessKeyId])
            guard enabled == true else { return .keyUnusable }
            // Inserts a new nonce, or revives one whose retention ended; a live one leaves 0 changed rows.
            let inserted = try db.execute(
                sql: """
                    INSERT INTO signature_nonces (access_key_id, nonce, expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (access_key_id, nonce) DO UPDATE SET expires_at = excluded.expires_at
                    WHERE signature_nonces.expires_at < ?
                    """,
                arguments: [claim.accessKeyId, claim.nonce, claim.expiresAt.storeMillis, claim.now.storeMillis]) == 1
            return inserted ? .claimed : .alreadyUsed
        }
    }

    @discardableResult
    public func purgeNonces(expiredBefore date: Date) async throws -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM signature_nonces WHERE expires_at < ?", arguments: [date.storeMillis])
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM signature_nonces") ?? 0
        }
    }

    func accessKey(from row: SQLRow) throws -> AccessKey {
        AccessKey(
            id: try row.get("id"), accountId: try row.get("account_id"), secret: try sealer.open(try row.get("secret_sealed")),
            isEnabled: try row.get("enabled"), createdAt: Date(storeMillis: try row.get("created_at")))
    }
}
