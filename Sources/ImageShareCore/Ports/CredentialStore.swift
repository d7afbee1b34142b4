import Foundation

/// What request authentication needs from the store: key lookup and replay-proof nonce claims.
public protocol CredentialStore: Sendable {
    /// The key with this ID, or nil when no such key exists.
    func accessKey(id: String) async throws -> AccessKey?

    /// Records `nonce` for `accessKeyId` until `expiresAt`; false when it was already recorded and not expired.
    func claimNonce(_ nonce: String, accessKeyId: String, now: Date, expiresAt: Date) async throws -> Bool

    /// Forgets nonces whose retention ended before `date`.
    func purgeNonces(expiredBefore date: Date) async throws
}

/// Account and key administration, used by the CLI and at first start.
public protocol AccountStore: Sendable {
    /// Creates an account with one enabled AccessKey.
    func createAccount(name: String, now: Date) async throws -> (Account, IssuedCredentials)

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
}
