import Foundation
import ImageShareCore

extension SQLStore: ConsoleStore {
    public func setPasswordHash(_ hash: String, accountId: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE accounts SET password_hash = ? WHERE id = ?", arguments: [hash, accountId]) == 1
        }
    }

    public func signInCandidate(nameOrId: String) async throws -> SignInCandidate? {
        try await read { db in
            // An ID, or a name only one account has: a name two accounts share signs in neither.
            let rows = try SQLRow.fetchAll(
                db,
                sql: """
                    SELECT id, name, created_at, enabled, password_hash FROM accounts
                    WHERE (id = ? OR name = ?) AND enabled = 1 LIMIT 2
                    """,
                arguments: [nameOrId, nameOrId])
            let match = rows.first { (try? $0.get("id", as: String.self)) == nameOrId } ?? (rows.count == 1 ? rows[0] : nil)
            return try match.map { SignInCandidate(account: try Self.account(from: $0), passwordHash: try $0.get("password_hash")) }
        }
    }

    public func createSession(
        idHash: String, accountId: String, csrfToken: String, regionId: String, language: String, now: Date, expiresAt: Date
    ) async throws {
        try await write { db in
            // Expired sessions go as new ones come, so the table stays as small as the live sessions.
            try db.execute(sql: "DELETE FROM console_sessions WHERE expires_at < ?", arguments: [now.storeMillis])
            try db.execute(
                sql: """
                    INSERT INTO console_sessions (id_hash, account_id, csrf_token, region_id, language, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [idHash, accountId, csrfToken, regionId, language, now.storeMillis, expiresAt.storeMillis])
        }
    }

    public func session(idHash: String, now: Date) async throws -> ConsoleSession? {
        try await read { db in
            guard
                let row = try SQLRow.fetchOne(
                    db,
                    sql: """
                        SELECT s.account_id, a.name, s.region_id, s.language, s.csrf_token, s.expires_at
                        FROM console_sessions s JOIN accounts a ON a.id = s.account_id
                        WHERE s.id_hash = ? AND s.expires_at > ? AND a.enabled = 1
                        """,
                    arguments: [idHash, now.storeMillis])
            else { return nil }
            return ConsoleSession(
                accountId: try row.get("account_id"), accountName: try row.get("name"), regionId: try row.get("region_id"),
                language: try row.get("language"), csrfToken: try row.get("csrf_token"),
                expiresAt: Date(storeMillis: try row.get("expires_at")))
        }
    }

    public func updateSession(idHash: String, regionId: String?, language: String?) async throws {
        _ = try await write { db in
            try db.execute(
                sql: "UPDATE console_sessions SET region_id = COALESCE(?, region_id), language = COALESCE(?, language) WHERE id_hash = ?",
                arguments: [regionId, language, idHash])
        }
    }

    public func deleteSession(idHash: String) async throws {
        _ = try await write { db in try db.execute(sql: "DELETE FROM console_sessions WHERE id_hash = ?", arguments: [idHash]) }
    }

    public func deleteSessions(accountId: String, keeping idHash: String?) async throws {
        _ = try await write { db in
            try db.execute(
                sql: "DELETE FROM console_sessions WHERE account_id = ? AND id_hash <> ?", arguments: [accountId, idHash ?? ""])
        }
    }

    public func signInLockout(subjects: [String], now: Date) async throws -> Date? {
        guard !subjects.isEmpty else { return nil }
        return try await read { db in
            var arguments: [any SQLBindable] = subjects
            arguments.append(now.storeMillis)
            let row = try SQLRow.fetchOne(
                db,
                sql: """
                    SELECT locked_until FROM sign_in_failures WHERE subject IN (\(placeholders(subjects.count))) AND locked_until > ?
                    ORDER BY locked_until DESC LIMIT 1
                    """,
                arguments: arguments)
            return try (row?.get("locked_until") as Int64?).map(Date.init(storeMillis:))
        }
    }

    public func recordSignInFailure(subjects: [String], throttle: SignInThrottle, now: Date) async throws {
        try await write { db in
            for subject in subjects {
                let row = try SQLRow.fetchOne(
                    db, sql: "SELECT failures, window_started_at FROM sign_in_failures WHERE subject = ?\(db.dialect.forUpdate)",
                    arguments: [subject])
                let next = throttle.afterFailure(
                    of: subject, previousFailures: try row?.get("failures") ?? 0,
                    windowStartedAt: try (row?.get("window_started_at") as Int64?).map(Date.init(storeMillis:)), now: now)
                try db.execute(
                    sql: """
                        INSERT INTO sign_in_failures (subject, failures, window_started_at, locked_until) VALUES (?, ?, ?, ?)
                        ON CONFLICT (subject) DO UPDATE SET failures = excluded.failures,
                            window_started_at = excluded.window_started_at, locked_until = excluded.locked_until
                        """,
                    arguments: [subject, next.failures, next.windowStartedAt.storeMillis, next.lockedUntil?.storeMillis])
            }
        }
    }

    public func clearSignInFailures(subjects: [String]) async throws {
        guard !subjects.isEmpty else { return }
        _ = try await write { db in
            try db.execute(sql: "DELETE FROM sign_in_failures WHERE subject IN (\(placeholders(subjects.count)))", arguments: subjects)
        }
    }
}
