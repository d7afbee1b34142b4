import Foundation
import ImageShareCore
import ImageShareTestSupport
import Testing

@testable import ImageShareStore

/// A new directory path under the temporary directory (not created).
private func scratchDirectory() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("imageshare-\(UUID().uuidString)")
}

private func mode(of path: String) throws -> Int {
    try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
}

private func expectSetupError(_ expected: StoreSetupError, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("no error; expected \(expected)")
    } catch let error as StoreSetupError {
        #expect(error == expected)
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Suite("store: the data directory and its key are private, and the key is the store's own")
struct DataDirectoryTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("a new store is private from the start: directory 0700, key and database files 0600, whatever the umask")
    func privateFromTheStart() async throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The test runner's umask (normally 022) would leave new files readable by others.
        let store = try await SQLStore.sqlite(directory: directory)
        _ = try await store.createAccount(name: "alice", now: now)
        #expect(try mode(of: directory.path) == 0o700)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(Set(names).isSuperset(of: [SQLStore.databaseFileName, SQLStore.keyFileName, SQLStore.databaseFileName + "-wal"]))
        for name in names {
            #expect(!name.hasPrefix("."), "a temporary file was left behind: \(name)")
            #expect(try mode(of: directory.appendingPathComponent(name).path) == 0o600, "\(name)")
        }
    }

    @Test("a directory or key file that others can read is refused, naming it and the command that fixes it")
    func refusesOpenPermissions() async throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try await SQLStore.sqlite(directory: directory)

        chmod(directory.path, 0o755)
        await expectSetupError(.notPrivate(directory.path, mode: 0o755, fix: "chmod 700 \(directory.path)")) {
            _ = try await SQLStore.sqlite(directory: directory)
        }
        chmod(directory.path, 0o700)
        let key = directory.appendingPathComponent(SQLStore.keyFileName).path
        chmod(key, 0o640)
        await expectSetupError(.notPrivate(key, mode: 0o640, fix: "chmod 600 \(key)")) {
            _ = try await SQLStore.sqlite(directory: directory)
        }
        #expect(StoreSetupError.notPrivate(key, mode: 0o640, fix: "chmod 600 \(key)").description.contains("chmod 600 \(key)"))
        chmod(key, 0o600)
        _ = try await SQLStore.sqlite(directory: directory)
    }

    @Test("administrative opens never create a store; a file where the directory should be is named")
    func noSilentCreation() async throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        await expectSetupError(.noStore(directory.path)) {
            _ = try await SQLStore.sqlite(directory: directory, creation: .forbidden)
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path))
        // An empty private directory is not a store either.
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        await expectSetupError(.noStore(directory.path)) {
            _ = try await SQLStore.sqlite(directory: directory, creation: .forbidden)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)

        let file = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: file) }
        _ = FileManager.default.createFile(atPath: file.path, contents: Data("x".utf8))
        await expectSetupError(.notADirectory(file.path)) { _ = try await SQLStore.sqlite(directory: file) }
    }

    @Test("a missing or foreign key is refused instead of replaced, so existing AccessKeys keep working")
    func keyMistakes() async throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let credentials = try await SQLStore.sqlite(directory: directory).createAccount(name: "alice", now: now).1
        let keyFile = directory.appendingPathComponent(SQLStore.keyFileName)
        let original = try Data(contentsOf: keyFile)

        try FileManager.default.removeItem(at: keyFile)
        await expectSetupError(.keyFileMissing(keyFile.path)) { _ = try await SQLStore.sqlite(directory: directory) }
        #expect(!FileManager.default.fileExists(atPath: keyFile.path), "a new key was made")

        _ = FileManager.default.createFile(atPath: keyFile.path, contents: Data(repeating: 7, count: 32), attributes: [.posixPermissions: 0o600])
        await expectSetupError(.keyMismatch(keyFile.path)) { _ = try await SQLStore.sqlite(directory: directory) }

        try original.write(to: keyFile)
        let reopened = try await SQLStore.sqlite(directory: directory)
        #expect(try await reopened.accessKey(id: credentials.accessKeyId)?.secret == credentials.accessKeySecret)
    }

    @Test("a store from before fingerprints adopts its right key and refuses a wrong one")
    func storesWithoutFingerprint() async throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLStore.sqlite(directory: directory)
        let credentials = try await store.createAccount(name: "alice", now: now).1
        let forget: @Sendable (any SQLSession) throws -> Void = { db in try db.execute("DELETE FROM store_settings") }
        try await store.engine.write(forget)

        let keyFile = directory.appendingPathComponent(SQLStore.keyFileName)
        let original = try Data(contentsOf: keyFile)
        try Data(repeating: 9, count: 32).write(to: keyFile)
        await expectSetupError(.keyMismatch(keyFile.path)) { _ = try await SQLStore.sqlite(directory: directory) }

        try original.write(to: keyFile)
        let adopted = try await SQLStore.sqlite(directory: directory)
        #expect(try await adopted.accessKey(id: credentials.accessKeyId)?.secret == credentials.accessKeySecret)
        let recorded = try await adopted.engine.read { db in
            try db.fetchValue("SELECT value FROM store_settings WHERE name = 'key_fingerprint'", as: String.self)
        }
        #expect(try recorded == SecretSealer.load(keyFile: keyFile)?.fingerprint)
    }

    @Test("of several servers starting on a new store, exactly one creates the first account", arguments: StoreEngine.available)
    func oneFirstAccount(engine: StoreEngine) async throws {
        let (first, second, cleanup) = try await engine.makeStorePair()
        defer { cleanup() }
        let created = try await withThrowingTaskGroup(of: IssuedCredentials?.self) { group in
            for index in 0..<8 {
                let store = index.isMultiple(of: 2) ? first : second
                group.addTask { try await store.createFirstAccount(name: "default", now: now) }
            }
            return try await group.reduce(into: [IssuedCredentials]()) { if let made = $1 { $0.append(made) } }
        }
        #expect(created.count == 1)
        #expect(try await first.accounts().map(\.id) == created.map(\.accountId))
        // Later starts, and stores that already have accounts, create none.
        #expect(try await second.createFirstAccount(name: "default", now: now) == nil)
    }

    @Test("a store that has accounts from before never gets a first account")
    func noFirstAccountOnOldStores() async throws {
        let store = try await SQLStore.inMemory()
        _ = try await store.createAccount(name: "alice", now: now)
        #expect(try await store.createFirstAccount(name: "default", now: now) == nil)
        #expect(try await store.accounts().count == 1)
    }

    @Test("processes creating the key together end up with one complete key")
    func concurrentKeyCreation() async throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try DataDirectory.open(directory, create: true)
        let keyFile = directory.appendingPathComponent(SQLStore.keyFileName)
        let fingerprints = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 {
                group.addTask { try SecretSealer.createOrLoad(keyFile: keyFile).fingerprint }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(fingerprints.count == 1)
        #expect(try SecretSealer.load(keyFile: keyFile)?.fingerprint == fingerprints.first)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [SQLStore.keyFileName])
    }

    @Test("on PostgreSQL, a second server with another key file is refused", arguments: StoreEngine.available.filter { $0 == .postgres })
    func secondNodeWithAnotherKey(engine: StoreEngine) async throws {
        let engineA = try await engine.makeUnmigratedEngine()
        let (first, second) = (scratchDirectory(), scratchDirectory())
        defer {
            try? FileManager.default.removeItem(at: first)
            try? FileManager.default.removeItem(at: second)
        }
        let keyA = try DataDirectory.open(first, create: true).keyFile
        let keyB = try DataDirectory.open(second, create: true).keyFile
        _ = try await SQLStore(engine: engineA, keyFile: keyA, creation: .allowed)
        _ = try SecretSealer.createOrLoad(keyFile: keyB)
        await expectSetupError(.keyMismatch(keyB.path)) {
            _ = try await SQLStore(engine: engineA, keyFile: keyB, creation: .allowed)
        }
        try FileManager.default.removeItem(at: keyB)
        await expectSetupError(.keyFileMissing(keyB.path)) {
            _ = try await SQLStore(engine: engineA, keyFile: keyB, creation: .allowed)
        }
    }
}

@Suite("store: no request can hold the database for long, and one bad write cannot fail others")
struct StoreIsolationTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("a SQLite read past its budget is interrupted with ServiceUnavailable; the next read is unaffected")
    func readBudget() async throws {
        let engine = try SQLiteEngine(readBudget: .milliseconds(200))
        let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"
        do {
            _ = try await engine.read { db in try db.fetchValue(endless, as: Int.self) }
            Issue.record("an endless query finished")
        } catch let error as ECSError {
            #expect(error == .serviceUnavailable)
        }
        #expect(try await engine.read { db in try db.fetchValue("SELECT 42", as: Int.self) } == 42)
    }

    @Test("a PostgreSQL statement past the statement timeout is cancelled with ServiceUnavailable",
          arguments: StoreEngine.available.filter { $0 == .postgres })
    func statementTimeout(engine: StoreEngine) async throws {
        let postgres = StoreEngine.postgresEngine(statementTimeout: .milliseconds(300))
        do {
            _ = try await postgres.read { db in try db.fetchAll("SELECT pg_sleep(3)") }
            Issue.record("a 3-second statement finished")
        } catch let error as ECSError {
            #expect(error == .serviceUnavailable)
        }
    }

    @Test("on PostgreSQL, maintenance transactions (migrations, state files) have no deadline; request ones do",
          arguments: StoreEngine.available.filter { $0 == .postgres })
    func maintenanceHasNoDeadline(engine: StoreEngine) async throws {
        let postgres = StoreEngine.postgresEngine(statementTimeout: .seconds(5), timeout: .milliseconds(300))
        // Each statement is short; together they outlast the request deadline.
        let slowWork: @Sendable (any SQLSession) throws -> Int = { db in
            for _ in 0..<5 { _ = try db.fetchAll("SELECT pg_sleep(0.1)") }
            return 5
        }
        #expect(try await postgres.maintain(slowWork) == 5)
        do {
            _ = try await postgres.write(slowWork)
            Issue.record("a request transaction outlasted its deadline")
        } catch let error as ECSError {
            #expect(error == .serviceUnavailable)
        }
    }

    @Test("a write the database refuses fails only its own caller, not the others committed with it")
    func groupCommitIsolation() async throws {
        let engine = try SQLiteEngine()
        _ = try await engine.write { db in try db.execute("CREATE TABLE items (value TEXT NOT NULL)") }
        let commits = GroupCommit<String, Bool>(engine: engine) { db, items in
            // The first batch waits a moment, so that the others pile up into the next one.
            usleep(20_000)
            return try items.map { item in
                guard item != "bad" else { throw StoreSetupError.cannotUse(item, reason: "refused") }
                try db.execute("INSERT INTO items (value) VALUES (?)", [item])
                return true
            }
        }
        let items = (0..<40).map { $0 == 20 ? "bad" : "item-\($0)" }
        let results = await concurrently(items) { item in try await commits.submit(item) }
        #expect(results["bad"] == false)
        #expect(results.filter { $0.key != "bad" }.values.allSatisfy { $0 }, "\(results.filter { !$0.value })")
        #expect(try await engine.read { db in try db.fetchValue("SELECT COUNT(*) FROM items", as: Int.self) } == 39)
    }

    @Test("on PostgreSQL, a nonce the database cannot store fails alone", arguments: StoreEngine.available.filter { $0 == .postgres })
    func unstorableNonce(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        let key = try await store.createAccount(name: "alice", now: now).1.accessKeyId
        let later = now.addingTimeInterval(1800)
        // PostgreSQL text cannot hold NUL (the wire layer refuses it long before; this is the backstop).
        let nonces = (0..<40).map { $0 == 7 ? "bad\u{0}nonce" : "nonce-\($0)" }
        let results = await concurrently(nonces) { nonce in
            try await store.claimNonce(nonce, accessKeyId: key, now: now, expiresAt: later) == .claimed
        }
        #expect(results["bad\u{0}nonce"] == false)
        #expect(results.filter { $0.key.hasPrefix("nonce-") }.values.allSatisfy { $0 })
    }
}
