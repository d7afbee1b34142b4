import Foundation
import ImageShareCore

/// Replay protection: each nonce is claimed once per AccessKey within its retention, durably before the
/// request is answered, and refused on every server of the store.
///
/// SQLite appends claims to `nonce_log` and decides them against `NonceWindow`; that is exact even with several
/// processes on one file because SQLite runs one write transaction at a time and each batch first reads back
/// every log row committed since the window last looked. PostgreSQL nodes write concurrently, so there a
/// unique index (`signature_nonces`) decides, in the same transaction as the insert.
extension SQLStore {
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
    static func record(_ claims: [NonceClaim], window: NonceWindow?, in db: any SQLSession) throws -> [NonceClaimResult] {
        guard let window else { return try recordInTable(claims, in: db) }
        // Every claim committed before this transaction, by this process or another one on the same file.
        let earliest = claims.map(\.now.storeMillis).min() ?? 0
        window.add(try readLog(after: window.lastSequence, in: db), nowMillis: earliest)
        var batch = Set<Int>()
        return try claims.map { claim in
            guard try keyIsEnabled(claim.accessKeyId, in: db) else { return .keyUnusable }
            let fingerprint = NonceWindow.fingerprint(accessKeyId: claim.accessKeyId, nonce: claim.nonce)
            guard !window.isLive(fingerprint, nowMillis: claim.now.storeMillis), batch.insert(fingerprint).inserted else {
                return .alreadyUsed
            }
            // The window learns of this row when the next batch (or purge) reads the log back after the commit.
            try db.execute(
                "INSERT INTO nonce_log (access_key_id, nonce, expires_at) VALUES (?, ?, ?)",
                [claim.accessKeyId, claim.nonce, claim.expiresAt.storeMillis])
            return .claimed
        }
    }

    /// PostgreSQL: the unique key refuses a nonce claimed by any node, even in a transaction running right now.
    /// The whole batch is one statement (one round trip, whatever its size): each claim's key check, and the
    /// insert of the first claim of each nonce whose key is usable; a nonce repeated within the batch is refused
    /// after its first claim, and one claimed before is revived only when its retention ended by that claim's time.
    private static func recordInTable(_ claims: [NonceClaim], in db: any SQLSession) throws -> [NonceClaimResult] {
        guard !claims.isEmpty else { return [] }
        let rows = claims.indices.map { "(\($0), ?, ?, ?::bigint, ?::bigint)" }.joined(separator: ", ")
        let arguments = claims.flatMap { claim -> [SQLValue] in
            [.text(claim.accessKeyId), .text(claim.nonce), .integer(claim.expiresAt.storeMillis), .integer(claim.now.storeMillis)]
        }
        let answers = try db.fetchAll(
            """
            WITH claim (position, access_key_id, nonce, expires_at, now_ms) AS (VALUES \(rows)),
            checked AS (
                SELECT c.*, COALESCE((
                    SELECT k.enabled = 1 AND a.enabled = 1 FROM access_keys k JOIN accounts a ON a.id = k.account_id
                    WHERE k.id = c.access_key_id), FALSE) AS usable
                FROM claim c
            ), candidate AS (
                SELECT DISTINCT ON (access_key_id, nonce) * FROM checked WHERE usable ORDER BY access_key_id, nonce, position
            ), claimed AS (
                INSERT INTO signature_nonces AS s (access_key_id, nonce, expires_at)
                SELECT access_key_id, nonce, expires_at FROM candidate
                ON CONFLICT (access_key_id, nonce) DO UPDATE SET expires_at = excluded.expires_at
                WHERE s.expires_at < (
                    SELECT d.now_ms FROM candidate d WHERE d.access_key_id = excluded.access_key_id AND d.nonce = excluded.nonce)
                RETURNING access_key_id, nonce
            )
            SELECT c.position, c.usable, (d.position IS NOT NULL AND EXISTS (
                SELECT 1 FROM claimed x WHERE x.access_key_id = d.access_key_id AND x.nonce = d.nonce)) AS claimed
            FROM checked c LEFT JOIN candidate d ON d.position = c.position ORDER BY c.position
            """,
            arguments)
        guard answers.count == claims.count else { throw NonceBatchMismatch() }
        return try answers.map { row in
            guard try row.get("usable") as Bool else { return .keyUnusable }
            return try row.get("claimed") as Bool ? .claimed : .alreadyUsed
        }
    }

    /// The database answered a claim batch with another number of rows than it was given (never expected).
    private struct NonceBatchMismatch: Error {}

    /// Read in the claim's transaction, so a key disabled by the CLI or another node is refused at once.
    private static func keyIsEnabled(_ accessKeyId: String, in db: any SQLSession) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: "SELECT (k.enabled = 1 AND a.enabled = 1) FROM access_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = ?",
            arguments: [accessKeyId]) == true
    }

    /// The log rows after `sequence`, in order (at most `limit`).
    private static func readLog(after sequence: Int64, limit: Int = .max, in db: any SQLSession) throws -> [NonceWindow.Entry] {
        try db.fetchAll(
            "SELECT seq, access_key_id, nonce, expires_at FROM nonce_log WHERE seq > ? ORDER BY seq LIMIT ?", [sequence, Int64(limit)])
            .map { row in
                NonceWindow.Entry(
                    sequence: try row.get("seq"),
                    fingerprint: NonceWindow.fingerprint(accessKeyId: try row.get("access_key_id"), nonce: try row.get("nonce")),
                    expiresAtMillis: try row.get("expires_at"))
            }
    }

    private static let logSlice = 10_000

    @discardableResult
    public func purgeNonces(expiredBefore date: Date) async throws -> Int {
        guard let window = nonceWindow else {
            return try await write { db in
                try db.execute(sql: "DELETE FROM signature_nonces WHERE expires_at < ?", arguments: [date.storeMillis])
                return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM signature_nonces") ?? 0
            }
        }
        // Reading the log here, outside the claims' write transactions, is also how a server loads it at start:
        // in slices, so that loading millions of rows never holds them all at once.
        while true {
            let sequence = window.lastSequence
            let slice = try await read { db in try Self.readLog(after: sequence, limit: Self.logSlice, in: db) }
            window.add(slice, nowMillis: date.storeMillis)
            if slice.count < Self.logSlice { break }
        }
        if let highest = window.forget(expiredBefore: date.storeMillis) {
            // Rows are appended in roughly expiry order: the deletion walks the log's start up to the last
            // forgotten row and leaves any later-expiring row among them for a later purge.
            _ = try await write { db in
                try db.execute("DELETE FROM nonce_log WHERE seq <= ? AND expires_at < ?", [highest, date.storeMillis])
            }
        }
        return window.count
    }
}
