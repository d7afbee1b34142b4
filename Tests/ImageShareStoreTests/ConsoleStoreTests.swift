import Foundation
import ImageShareCore
import ImageShareStore
import ImageShareTestSupport
import Testing

@Suite("store: console passwords, sessions, sign-in throttling and disabled accounts")
struct ConsoleStoreTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("a sign-in names an account by ID, or by a name only one account has", arguments: StoreEngine.available)
    func candidates(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        let (alice, _) = try await store.createAccount(name: "alice", now: now)
        let (twin1, _) = try await store.createAccount(name: "twin", now: now)
        _ = try await store.createAccount(name: "twin", now: now)
        #expect(try await store.setPasswordHash("hash-a", accountId: alice.id))
        #expect(try await !store.setPasswordHash("hash-x", accountId: "1111111111111111"))

        #expect(try await store.signInCandidate(nameOrId: "alice")?.account.id == alice.id)
        #expect(try await store.signInCandidate(nameOrId: "alice")?.passwordHash == "hash-a")
        #expect(try await store.signInCandidate(nameOrId: alice.id)?.account.id == alice.id)
        #expect(try await store.signInCandidate(nameOrId: "twin") == nil, "a shared name signs in nobody")
        #expect(try await store.signInCandidate(nameOrId: twin1.id)?.passwordHash == nil)
        #expect(try await store.signInCandidate(nameOrId: "nobody") == nil)

        #expect(try await store.setAccountEnabled(false, accountId: alice.id))
        #expect(try await store.signInCandidate(nameOrId: "alice") == nil)
        #expect(try await store.accounts().first { $0.id == alice.id }?.isEnabled == false)
    }

    @Test("sessions: found by hash until they expire, changed, ended one by one or all but one", arguments: StoreEngine.available)
    func sessions(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        let (alice, _) = try await store.createAccount(name: "alice", now: now)
        let later = now.addingTimeInterval(3600)
        for hash in ["h1", "h2", "h3"] {
            try await store.createSession(
                idHash: hash, accountId: alice.id, csrfToken: "t-" + hash, regionId: "cn-hangzhou", language: "zh", now: now,
                expiresAt: later)
        }
        let session = try #require(try await store.session(idHash: "h1", now: now))
        #expect(session.accountId == alice.id && session.accountName == "alice" && session.csrfToken == "t-h1")
        #expect(try await store.session(idHash: "h1", now: later.addingTimeInterval(1)) == nil, "expired")
        #expect(try await store.session(idHash: "unknown", now: now) == nil)

        try await store.updateSession(idHash: "h1", regionId: "cn-shanghai", language: nil)
        try await store.updateSession(idHash: "h1", regionId: nil, language: "en")
        #expect(try await store.session(idHash: "h1", now: now)?.regionId == "cn-shanghai")
        #expect(try await store.session(idHash: "h1", now: now)?.language == "en")

        try await store.deleteSession(idHash: "h2")
        #expect(try await store.session(idHash: "h2", now: now) == nil)
        try await store.deleteSessions(accountId: alice.id, keeping: "h1")
        #expect(try await store.session(idHash: "h1", now: now) != nil)
        #expect(try await store.session(idHash: "h3", now: now) == nil)

        _ = try await store.setAccountEnabled(false, accountId: alice.id)
        #expect(try await store.session(idHash: "h1", now: now) == nil, "a disabled account's sessions end")
        _ = try await store.setAccountEnabled(true, accountId: alice.id)
        #expect(try await store.session(idHash: "h1", now: now) != nil)
    }

    @Test("failures lock a subject out once they reach the limit within the window, until the lockout ends", arguments: StoreEngine.available)
    func throttling(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        let throttle = SignInThrottle(maxFailuresPerAccount: 3, maxFailuresPerAddress: 3, window: 600, lockout: 900)
        let subjects = SignInThrottle.subjects(nameOrId: "Alice", clientAddress: "10.0.0.1")
        #expect(subjects == ["account:alice", "address:10.0.0.1"])
        for _ in 0..<2 { try await store.recordSignInFailure(subjects: subjects, throttle: throttle, now: now) }
        #expect(try await store.signInLockout(subjects: subjects, now: now) == nil)
        try await store.recordSignInFailure(subjects: subjects, throttle: throttle, now: now)
        let until = try await store.signInLockout(subjects: ["account:alice"], now: now)
        #expect(until == now.addingTimeInterval(900))
        #expect(try await store.signInLockout(subjects: ["address:10.0.0.1"], now: now) != nil)
        #expect(try await store.signInLockout(subjects: subjects, now: now.addingTimeInterval(901)) == nil)

        // Failures spread beyond the window do not add up.
        let slow = ["account:slow"]
        for minute in [0.0, 11, 22, 33] {
            try await store.recordSignInFailure(subjects: slow, throttle: throttle, now: now.addingTimeInterval(minute * 60))
        }
        #expect(try await store.signInLockout(subjects: slow, now: now.addingTimeInterval(33 * 60)) == nil)

        try await store.clearSignInFailures(subjects: subjects)
        #expect(try await store.signInLockout(subjects: subjects, now: now) == nil)

        // An address is allowed more tries than a name: one person's mistakes do not lock out an office.
        let shared = SignInThrottle(maxFailuresPerAccount: 2, maxFailuresPerAddress: 4, window: 600, lockout: 900)
        for name in ["a", "b", "c"] {
            try await store.recordSignInFailure(
                subjects: SignInThrottle.subjects(nameOrId: name, clientAddress: "10.0.0.2"), throttle: shared, now: now)
        }
        #expect(try await store.signInLockout(subjects: ["address:10.0.0.2"], now: now) == nil)
        try await store.recordSignInFailure(subjects: ["address:10.0.0.2"], throttle: shared, now: now)
        #expect(try await store.signInLockout(subjects: ["address:10.0.0.2"], now: now) != nil)
    }

    @Test("a disabled account's keys are refused like disabled keys, and work again once it is enabled", arguments: StoreEngine.available)
    func disabledAccountKeys(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        let (alice, credentials) = try await store.createAccount(name: "alice", now: now)
        _ = try await store.setAccountEnabled(false, accountId: alice.id)
        #expect(try await store.accessKey(id: credentials.accessKeyId)?.isEnabled == false)
        #expect(try await store.accessKeys(accountId: alice.id).first?.isEnabled == true, "the key itself is still enabled")
        #expect(
            try await store.claimNonce("n", accessKeyId: credentials.accessKeyId, now: now, expiresAt: now.addingTimeInterval(60))
                == .keyUnusable)
        _ = try await store.setAccountEnabled(true, accountId: alice.id)
        #expect(
            try await store.claimNonce("n", accessKeyId: credentials.accessKeyId, now: now, expiresAt: now.addingTimeInterval(60))
                == .claimed)
    }
}
