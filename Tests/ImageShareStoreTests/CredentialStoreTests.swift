import Foundation
import ImageShareCore
import ImageShareTestSupport
import Testing

@testable import ImageShareStore

@Suite("store: accounts, keys and nonces")
struct CredentialStoreTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("a new account has one enabled key whose secret round-trips", arguments: StoreEngine.available)
    func createAccount(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        let (account, credentials) = try await store.createAccount(name: "alice", now: now)
        #expect(Account.isWellFormedID(account.id))
        #expect(credentials.accountId == account.id)
        let key = try #require(try await store.accessKey(id: credentials.accessKeyId))
        #expect(key.secret == credentials.accessKeySecret)
        #expect(key.isEnabled)
        #expect(key.accountId == account.id)
        #expect(try await store.accounts().map(\.id) == [account.id])
        #expect(try await store.account(id: account.id)?.name == "alice")
        #expect(try await store.accessKey(id: "LTAInothing") == nil)
    }

    @Test("keys can be added, disabled and enabled, only through their own account", arguments: StoreEngine.available)
    func keyLifecycle(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        let (alice, _) = try await store.createAccount(name: "alice", now: now)
        let (bob, _) = try await store.createAccount(name: "bob", now: now)
        let second = try #require(try await store.createAccessKey(accountId: alice.id, now: now))
        #expect(try await store.accessKeys(accountId: alice.id).count == 2)
        #expect(try await store.createAccessKey(accountId: "1111111111111111", now: now) == nil)

        #expect(try await !store.setAccessKeyEnabled(false, accessKeyId: second.accessKeyId, accountId: bob.id))
        #expect(try await store.accessKey(id: second.accessKeyId)?.isEnabled == true)
        #expect(try await store.setAccessKeyEnabled(false, accessKeyId: second.accessKeyId, accountId: alice.id))
        #expect(try await store.accessKey(id: second.accessKeyId)?.isEnabled == false)
        #expect(try await store.setAccessKeyEnabled(true, accessKeyId: second.accessKeyId, accountId: alice.id))
        #expect(try await store.accessKey(id: second.accessKeyId)?.isEnabled == true)
    }

    /// Two real keys: claims check that their key is still enabled.
    private func twoKeys(_ store: SQLStore) async throws -> (String, String) {
        let (alice, first) = try await store.createAccount(name: "alice", now: now)
        let second = try #require(try await store.createAccessKey(accountId: alice.id, now: now))
        return (first.accessKeyId, second.accessKeyId)
    }

    @Test("a nonce is claimed once per key until its retention ends", arguments: StoreEngine.available)
    func nonces(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        let (k1, k2) = try await twoKeys(store)
        let later = now.addingTimeInterval(1800)
        #expect(try await store.claimNonce("n1", accessKeyId: k1, now: now, expiresAt: later) == .claimed)
        #expect(try await store.claimNonce("n1", accessKeyId: k1, now: now.addingTimeInterval(60), expiresAt: later) == .alreadyUsed)
        #expect(try await store.claimNonce("n1", accessKeyId: k2, now: now, expiresAt: later) == .claimed)
        // After retention the same nonce may be used again (its timestamp would be refused anyway).
        #expect(try await store.claimNonce("n1", accessKeyId: k1, now: later.addingTimeInterval(1), expiresAt: later.addingTimeInterval(1800)) == .claimed)
        #expect(try await store.claimNonce("n1", accessKeyId: k1, now: later.addingTimeInterval(2), expiresAt: later.addingTimeInterval(1800)) == .alreadyUsed)
    }

    @Test("a claim for a disabled or unknown key records nothing and says so", arguments: StoreEngine.available)
    func claimsCheckTheKey(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        let (alice, credentials) = try await store.createAccount(name: "alice", now: now)
        let later = now.addingTimeInterval(1800)
        #expect(try await store.setAccessKeyEnabled(false, accessKeyId: credentials.accessKeyId, accountId: alice.id))
        #expect(try await store.claimNonce("n1", accessKeyId: credentials.accessKeyId, now: now, expiresAt: later) == .keyUnusable)
        #expect(try await store.claimNonce("n1", accessKeyId: "LTAInothing", now: now, expiresAt: later) == .keyUnusable)
        // Nothing was recorded: once enabled again, the same nonce is claimable.
        #expect(try await store.setAccessKeyEnabled(true, accessKeyId: credentials.accessKeyId, accountId: alice.id))
        #expect(try await store.claimNonce("n1", accessKeyId: credentials.accessKeyId, now: now, expiresAt: later) == .claimed)
    }

    @Test("concurrent claims are committed together, and a nonce claimed twice at once wins once", arguments: StoreEngine.available)
    func concurrentClaims(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        let (key, _) = try await twoKeys(store)
        let later = now.addingTimeInterval(1800)
        let outcomes = await withTaskGroup(of: (String, Bool).self) { group in
            for index in 0..<200 {
                // 100 distinct nonces, each sent twice at the same moment.
                let nonce = "n-\(index % 100)"
                group.addTask { (nonce, (try? await store.claimNonce(nonce, accessKeyId: key, now: self.now, expiresAt: later)) == .claimed) }
            }
            return await group.reduce(into: [(String, Bool)]()) { $0.append($1) }
        }
        let wins = Dictionary(grouping: outcomes.filter(\.1), by: \.0).mapValues(\.count)
        #expect(wins.count == 100)
        #expect(wins.values.allSatisfy { $0 == 1 })
        #expect(try await store.claimNonce("n-7", accessKeyId: key, now: now, expiresAt: later) == .alreadyUsed)
    }

    @Test("claims committed together still get one answer each: key, repeat, live or past its retention", arguments: StoreEngine.available)
    func mixedBatch(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        let (alice, credentials) = try await store.createAccount(name: "alice", now: now)
        let key = credentials.accessKeyId
        let disabled = try #require(try await store.createAccessKey(accountId: alice.id, now: now)).accessKeyId
        #expect(try await store.setAccessKeyEnabled(false, accessKeyId: disabled, accountId: alice.id))
        let later = now.addingTimeInterval(900)
        #expect(try await store.claimNonce("live", accessKeyId: key, now: now, expiresAt: later) == .claimed)
        #expect(try await store.claimNonce("past", accessKeyId: key, now: now.addingTimeInterval(-900), expiresAt: now.addingTimeInterval(-1)) == .claimed)
        let claims: [(nonce: String, key: String)] =
            Array(repeating: ("live", key), count: 20) + Array(repeating: ("past", key), count: 20)
            + Array(repeating: ("x", key), count: 20) + Array(repeating: ("x", disabled), count: 20)
            + Array(repeating: ("x", "LTAInothing"), count: 20) + (0..<50).map { ("fresh-\($0)", key) }
        let outcomes = await withTaskGroup(of: (String, String, NonceClaimResult?).self) { group in
            for claim in claims.shuffled() {
                group.addTask { (claim.nonce, claim.key, try? await store.claimNonce(claim.nonce, accessKeyId: claim.key, now: self.now, expiresAt: later)) }
            }
            return await group.reduce(into: [(String, String, NonceClaimResult?)]()) { $0.append($1) }
        }
        func answers(_ nonce: String, _ key: String) -> [NonceClaimResult?] { outcomes.filter { $0.0 == nonce && $0.1 == key }.map(\.2) }
        #expect(answers("live", key).allSatisfy { $0 == .alreadyUsed })
        #expect(answers("past", key).filter { $0 == .claimed }.count == 1, "a nonce past its retention is claimable once")
        #expect(answers("past", key).filter { $0 == .alreadyUsed }.count == 19)
        #expect(answers("x", key).filter { $0 == .claimed }.count == 1)
        #expect(answers("x", disabled).allSatisfy { $0 == .keyUnusable })
        #expect(answers("x", "LTAInothing").allSatisfy { $0 == .keyUnusable })
        #expect((0..<50).allSatisfy { answers("fresh-\($0)", key) == [.claimed] })
    }

    @Test("purging forgets only expired nonces", arguments: StoreEngine.available)
    func purge(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        let (key, _) = try await twoKeys(store)
        _ = try await store.claimNonce("old", accessKeyId: key, now: now, expiresAt: now.addingTimeInterval(10))
        _ = try await store.claimNonce("new", accessKeyId: key, now: now, expiresAt: now.addingTimeInterval(1000))
        try await store.purgeNonces(expiredBefore: now.addingTimeInterval(100))
        // "old" was forgotten, so it is claimable even with a retention check that would otherwise refuse it.
        #expect(try await store.claimNonce("old", accessKeyId: key, now: now, expiresAt: now.addingTimeInterval(10)) == .claimed)
        #expect(try await store.claimNonce("new", accessKeyId: key, now: now, expiresAt: now.addingTimeInterval(1000)) == .alreadyUsed)
    }

    @Test("SQLite: stores on one file refuse each other's nonces, a reopened one refuses all before, and purging empties the log")
    func nonceLogOnDisk() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("imageshare-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await SQLStore.sqlite(directory: directory)
        let second = try await SQLStore.sqlite(directory: directory)
        let (key, _) = try await twoKeys(first)
        let expiry = now.addingTimeInterval(900)
        // Each store decides against its own memory, so this holds only if each batch reads the other's rows.
        for index in 0..<50 {
            let (claimer, other) = index.isMultiple(of: 2) ? (first, second) : (second, first)
            #expect(try await claimer.claimNonce("n-\(index)", accessKeyId: key, now: now, expiresAt: expiry) == .claimed)
            #expect(try await other.claimNonce("n-\(index)", accessKeyId: key, now: now, expiresAt: expiry) == .alreadyUsed)
        }
        let concurrent = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<400 {
                group.addTask {
                    let store = index.isMultiple(of: 2) ? first : second
                    return (try? await store.claimNonce("c-\(index / 2)", accessKeyId: key, now: self.now, expiresAt: expiry)) == .claimed
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(concurrent == 200, "each of 200 nonces, sent to both stores at once, must be won exactly once")

        let reopened = try await SQLStore.sqlite(directory: directory)
        #expect(try await reopened.purgeNonces(expiredBefore: now) == 250, "the log read back at start holds every claim")
        for index in 0..<50 {
            #expect(try await reopened.claimNonce("n-\(index)", accessKeyId: key, now: now, expiresAt: expiry) == .alreadyUsed)
        }
        #expect(try await reopened.claimNonce("c-99", accessKeyId: key, now: now, expiresAt: expiry) == .alreadyUsed)
        // Past their retention the rows leave the log: a store opened afterwards reads none back.
        #expect(try await reopened.purgeNonces(expiredBefore: expiry.addingTimeInterval(120)) == 0)
        #expect(try await SQLStore.sqlite(directory: directory).purgeNonces(expiredBefore: now) == 0)
    }

    @Test("on disk: commits reach the database file in the background, long before SQLite's own checkpoint would")
    func backgroundCheckpoints() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("imageshare-\(UUID().uuidString)")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("imageshare-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: directory)
            try? FileManager.default.removeItem(at: copy)
        }
        let store = try await SQLStore.sqlite(directory: directory)
        // A few pages: far below the 1,000-page WAL that makes a commit checkpoint by itself.
        let (account, _) = try await store.createAccount(name: "alice", now: now)
        var found: [String] = []
        for _ in 0..<100 where found.isEmpty {
            try await Task.sleep(for: .milliseconds(50))
            // The database file alone, without its WAL: it holds only what a checkpoint has copied into it.
            try? FileManager.default.removeItem(at: copy)
            try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            for name in [SQLStore.databaseFileName, SQLStore.keyFileName] {
                try FileManager.default.copyItem(at: directory.appendingPathComponent(name), to: copy.appendingPathComponent(name))
            }
            found = try await SQLStore.sqlite(directory: copy).accounts().map(\.id)
        }
        #expect(found == [account.id])
    }

    @Test("on disk: secrets are encrypted, the key file is 0600, and data survives reopening")
    func onDisk() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("imageshare-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let credentials: IssuedCredentials
        do {
            let store = try await SQLStore.sqlite(directory: directory)
            credentials = try await store.createAccount(name: "alice", now: now).1
            _ = try await store.claimNonce("n", accessKeyId: credentials.accessKeyId, now: now, expiresAt: now.addingTimeInterval(900))
        }
        let keyFile = directory.appendingPathComponent(SQLStore.keyFileName).path
        let permissions = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            // The -shm file goes away when the last connection closes, which may be just now.
            guard let bytes = try? Data(contentsOf: directory.appendingPathComponent(name)) else { continue }
            #expect(bytes.range(of: Data(credentials.accessKeySecret.utf8)) == nil, "secret in plain text in \(name)")
        }
        let reopened = try await SQLStore.sqlite(directory: directory)
        #expect(try await reopened.accessKey(id: credentials.accessKeyId)?.secret == credentials.accessKeySecret)
        #expect(try await reopened.claimNonce("n", accessKeyId: credentials.accessKeyId, now: now, expiresAt: now.addingTimeInterval(900)) == .alreadyUsed)
    }
}

@Suite("store: migrations")
struct MigrationTests {
    @Test("a store that may not migrate names every pending migration and refuses to open", arguments: StoreEngine.available)
    func refusesPending(engine: StoreEngine) async throws {
        let unmigrated = try await engine.makeUnmigratedEngine()
        let sealer = SecretSealer.ephemeral()
        do {
            _ = try await SQLStore(engine: unmigrated, sealer: sealer, migrations: .refuse)
            Issue.record("an unmigrated store was opened")
        } catch let error as SQLStore.PendingMigrations {
            #expect(error.names == ["001_accounts_and_keys", "002_images_instances_disks", "003_store_settings", "004_console", "005_instance_os_name_en", "006_client_resources", "007_rate_buckets", "008_image_build_failures", "009_share_listing_order", "010_nonce_log"])
            #expect(error.description.contains("001_accounts_and_keys"))
        }
        let migrated = try await SQLStore(engine: unmigrated, sealer: sealer)
        #expect(try await migrated.pendingMigrations().isEmpty)
        // Once migrated, refusing is harmless and migrating again changes nothing.
        _ = try await SQLStore(engine: unmigrated, sealer: sealer, migrations: .refuse)
        _ = try await SQLStore(engine: unmigrated, sealer: sealer)
    }

    @Test("on SQLite, the nonces an older store remembered move into the nonce log (010_nonce_log) and stay refused")
    func nonceLogMigration() async throws {
        let engine = try SQLiteEngine()
        try await Schema.migrate(engine, through: "009_share_listing_order")
        let sealer = SecretSealer.ephemeral()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let sealed = try sealer.seal("old-secret")
        // What such a store held: an account, its key, a nonce still retained and one whose retention ended.
        try await engine.maintain { db in
            try db.execute("INSERT INTO accounts (id, name, created_at) VALUES ('1000000000000001', 'alice', ?)", [now.storeMillis])
            try db.execute(
                "INSERT INTO access_keys (id, account_id, secret_sealed, enabled, created_at) VALUES ('LTAIold', '1000000000000001', ?, 1, ?)",
                [sealed, now.storeMillis])
            try db.execute(
                "INSERT INTO signature_nonces (access_key_id, nonce, expires_at) VALUES ('LTAIold', 'retained', ?), ('LTAIold', 'ended', ?)",
                [now.addingTimeInterval(600).storeMillis, now.addingTimeInterval(-60).storeMillis])
        }
        let store = try await SQLStore(engine: engine, sealer: sealer)
        #expect(try await store.pendingMigrations().isEmpty)
        let moved = try await engine.read { db in
            (try db.fetchValue("SELECT COUNT(*) FROM nonce_log", as: Int.self), try db.fetchValue("SELECT COUNT(*) FROM signature_nonces", as: Int.self))
        }
        #expect(moved.0 == 2 && moved.1 == 0)
        let later = now.addingTimeInterval(900)
        #expect(try await store.claimNonce("retained", accessKeyId: "LTAIold", now: now, expiresAt: later) == .alreadyUsed)
        #expect(try await store.claimNonce("ended", accessKeyId: "LTAIold", now: now, expiresAt: later) == .claimed)
        #expect(try await store.claimNonce("fresh", accessKeyId: "LTAIold", now: now, expiresAt: later) == .claimed)
    }
}
