import Foundation

/// What request authentication needs from the store: key lookup and replay-proof nonce claims.
public protocol CredentialStore: Sendable {
    /// The key with this ID, or nil when no such key exists; it is not enabled when its account is disabled.
    func accessKey(id: String) async throws -> AccessKey?

    /// Records `nonce` for `accessKeyId` until `expiresAt`, if the key is still enabled.
    func claimNonce(_ nonce: String, accessKeyId: String, now: Date, expiresAt: Date) async throws -> NonceClaimResult

    /// Forgets nonces whose retention ended before `date`; returns how many are still remembered.
    @discardableResult
    func purgeNonces(expiredBefore date: Date) async throws -> Int
}

/// What a nonce claim found.
///
/// The key's state is read in the same durable transaction that records the nonce, so a key disabled by the
/// CLI or on another node is refused from its next request on, even by a server that cached the key.
public enum NonceClaimResult: Sendable, Equatable {
    /// Recorded: the request may go on.
    case claimed
    /// Recorded before and not yet expired: a replay.
    case alreadyUsed
    /// The key is disabled or no longer exists; nothing was recorded.
    case keyUnusable
}

/// Account and key administration, used by the CLI and at first start.
public protocol AccountStore: Sendable {
    /// Creates an account with one enabled AccessKey.
    func createAccount(name: String, now: Date) async throws -> (Account, IssuedCredentials)

    /// Creates an account whose ID, AccessKey ID and secret the caller chose (fixtures, `--account`); refused with
    /// `InvalidParameter` when the account ID or the AccessKey ID exists already.
    func createAccount(_ known: KnownAccount, now: Date) async throws -> Account

    /// Creates a new store's first account, once: nil when it was done before (by this or another server).
    func createFirstAccount(name: String, now: Date) async throws -> IssuedCredentials?

    /// All accounts, oldest first.
    func accounts() async throws -> [Account]

    /// The account with this ID, or nil.
    func account(id: String) async throws -> Account?

    /// Adds an enabled AccessKey to an existing account; `nil` when the account does not exist.
    func createAccessKey(accountId: String, now: Date) async throws -> IssuedCredentials?

    /// The keys of one account (secrets included), oldest first.
    func accessKeys(accountId: String) async throws -> [AccessKey]

    /// Enables or disables a key of `accountId`; false when that account has no such key.
    func setAccessKeyEnabled(_ enabled: Bool, accessKeyId: String, accountId: String) async throws -> Bool

    /// Enables or disables an account (its console sign-in, sessions and every key); false when there is none.
    func setAccountEnabled(_ enabled: Bool, accountId: String) async throws -> Bool
}
