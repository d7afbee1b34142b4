import Foundation
import ImageShareCore

/// Bulk data for benchmarks, generated inside the database so that millions of rows take seconds.
///
/// SQLite only (the embedded store is what the benchmarks measure). Filler rows have the same shape as real
/// ones; the IDs are recognisable (`m-f…`, accounts starting with 9).
extension SQLStore {
    /// What `seedBenchmark` made, for the request signer.
    public struct BenchmarkFixture: Codable, Sendable {
        public var regionId: String
        /// Owns `sharedImageId` (shared with 50 accounts) and `modifyImageId` (shared with none).
        public var owner: IssuedCredentials
        /// Has 1,000 images of other accounts shared with it.
        public var recipient: IssuedCredentials
        public var sharedImageId: String
        public var modifyImageId: String
        /// An account the modify scenario adds and removes.
        public var shareTargetId: String
        /// An image shared with `recipient`, for RunInstances.
        public var launchImageId: String
    }

    /// The scenarios need at least 61 accounts (50 share targets and more) and 1,000 images.
    public struct SeedingError: Error, CustomStringConvertible {
        public var description: String { "benchmark seeding needs at least 61 accounts and 1,000 images" }
    }

    /// Fills the store: `accounts` filler accounts, `images` filler images (each shared with
    /// `shares / images` filler accounts), plus the fixture accounts and images the scenarios use.
    public func seedBenchmark(accounts: Int, images: Int, shares: Int, regionId: String, now: Date) async throws -> BenchmarkFixture {
        guard accounts > 60, images >= 1_000 else { throw SeedingError() }
        let perImage = min(shares / images, accounts - 2, ImageRules.maxShareAccounts - 1)
        let millis = now.storeMillis
        try await write { db in
            try db.execute(
                sql: """
                    WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < ?)
                    INSERT INTO accounts (id, name, created_at) SELECT printf('9%015d', n), 'filler', ? FROM seq
                    """,
                arguments: [accounts, millis])
            try db.execute(
                sql: """
                    WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < ?)
                    INSERT INTO images (id, region_id, owner_id, name, description, status, created_at, ready_at, os_type,
                        os_name, os_name_en, platform, architecture, size_gib, image_family, image_version, boot_mode,
                        is_public, share_count, copied_from)
                    SELECT printf('m-f%019d', n), ?, printf('9%015d', n % ?), printf('filler-%d', n), '', 'Available',
                        ? - n, ? - n, 'linux', 'Ubuntu  22.04 64位', 'Ubuntu  22.04 64 bit', 'Ubuntu', 'x86_64', 20, '', '',
                        'BIOS', 0, ?, NULL
                    FROM seq
                    """,
                arguments: [images, regionId, accounts, millis, millis, perImage])
            try db.execute(
                sql: """
                    INSERT INTO image_disks (image_id, position, device, type, snapshot_id, size_gib)
                    SELECT id, 0, '/dev/xvda', 'system', 's-f' || substr(id, 4), 20 FROM images WHERE id LIKE 'm-f%'
                    """)
            // Share j of image n goes to account (n + 1 + j) mod accounts: distinct, and never the owner.
            try db.execute(
                sql: """
                    WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < ?),
                        slot(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM slot WHERE j + 1 < ?)
                    INSERT INTO image_shares (image_id, account_id, region_id, shared_at, image_created_at)
                    SELECT printf('m-f%019d', n), printf('9%015d', (n + 1 + j) % ?), ?, ?, ? - n FROM seq, slot
                    """,
                arguments: [images, max(perImage, 1), accounts, regionId, millis, millis])
            if perImage == 0 { try db.execute(sql: "DELETE FROM image_shares WHERE image_id LIKE 'm-f%'") }
        }

        let owner = try await createAccount(name: "bench-owner", now: now).1
        let recipient = try await createAccount(name: "bench-recipient", now: now).1
        let fixture = BenchmarkFixture(
            regionId: regionId, owner: owner, recipient: recipient, sharedImageId: "m-benchshared0000000",
            modifyImageId: "m-benchmodify0000000", shareTargetId: String(format: "9%015d", 7),
            launchImageId: String(format: "m-f%019d", 0))
        try await write { db in
            for (id, shared) in [(fixture.sharedImageId, 50), (fixture.modifyImageId, 0)] {
                try Self.insertImage(
                    db, id: id, regionId: regionId, ownerId: owner.accountId, name: id, description: "",
                    os: OSProfile(osType: .linux, osName: "Ubuntu", osNameEn: "Ubuntu", platform: "Ubuntu", architecture: .x86_64),
                    sizeGiB: 20, family: "", version: "", bootMode: "BIOS", copiedFrom: nil,
                    mappings: [DiskDeviceMapping(device: "/dev/xvda", type: "system", snapshotId: "s-" + id.dropFirst(2), sizeGiB: 20)],
                    tags: [], readyAt: now, now: now)
                try db.execute(
                    sql: """
                        INSERT INTO image_shares (image_id, account_id, region_id, shared_at, image_created_at)
                        SELECT ?, id, ?, ?, ? FROM accounts WHERE id LIKE '9%' ORDER BY id LIMIT ?
                        """,
                    arguments: [id, regionId, millis, millis, shared])
                try db.execute(sql: "UPDATE images SET share_count = ? WHERE id = ?", arguments: [shared, id])
            }
            // The recipient gets the first 1,000 filler images (shares beyond their usual ones).
            try db.execute(
                sql: """
                    INSERT INTO image_shares (image_id, account_id, region_id, shared_at, image_created_at)
                    SELECT id, ?, ?, ?, created_at FROM images WHERE id LIKE 'm-f%' ORDER BY id LIMIT 1000
                    """,
                arguments: [recipient.accountId, regionId, millis])
            try db.execute(
                sql: """
                    UPDATE images SET share_count = share_count + 1
                    WHERE id IN (SELECT id FROM images WHERE id LIKE 'm-f%' ORDER BY id LIMIT 1000)
                    """)
        }
        return fixture
    }
    /// Puts `count` signature nonces of `accessKeyId` into the nonce log, their retention ending between one
    /// and sixteen minutes from `now`: what a server remembers after that many signed requests (SQLite only;
    /// the memory a remembered nonce costs is measured with it).
    public func seedNonces(_ count: Int, accessKeyId: String, now: Date) async throws {
        guard count > 0 else { return }
        try await write { db in
            try db.execute(
                sql: """
                    WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < ?)
                    INSERT INTO nonce_log (access_key_id, nonce, expires_at)
                    SELECT ?, printf('%08x-%04x-4%03x-8%03x-%012x', n, n % 65536, n % 4096, (n / 7) % 4096, n * 7919), ? + n % 900000
                    FROM seq
                    """,
                arguments: [count, accessKeyId, now.storeMillis + 60_000])
        }
    }
}
