import Foundation

/// A signed-in console session as the store keeps it: whose it is, the choices it carries, and its CSRF token.
public struct ConsoleSession: Sendable, Equatable {
    public let accountId: String
    public let accountName: String
    /// The region every page shows (the header's region selector).
    public var regionId: String
    /// `zh` or `en`.
    public var language: String
    /// Every form of this session carries it; a POST without it is refused.
    public let csrfToken: String
    public let expiresAt: Date

    public init(accountId: String, accountName: String, regionId: String, language: String, csrfToken: String, expiresAt: Date) {
        self.accountId = accountId
        self.accountName = accountName
        self.regionId = regionId
        self.language = language
        self.csrfToken = csrfToken
        self.expiresAt = expiresAt
    }
}

/// The account a sign-in names, with what deciding it needs.
public struct SignInCandidate: Sendable {
    public let account: Account
    /// The bcrypt hash of the console password, or nil when none was ever set.
    public let passwordHash: String?

    public init(account: Account, passwordHash: String?) {
        self.account = account
        self.passwordHash = passwordHash
    }
}

/// How repeated sign-in failures are slowed down: per account name and per client address, across every
/// server of one store.
///
/// An address gets more tries than a name: many people may sign in from one address (an office, a load
/// balancer), and one of them mistyping must not lock the others out.
public struct SignInThrottle: Sendable {
    /// Failures allowed for one name within `window` before it is locked out.
    public var maxFailuresPerAccount: Int
    /// Failures allowed from one address within `window` before it is locked out.
    public var maxFailuresPerAddress: Int
    public var window: TimeInterval
    public var lockout: TimeInterval

    public init(
        maxFailuresPerAccount: Int = 5, maxFailuresPerAddress: Int = 50, window: TimeInterval = 15 * 60,
        lockout: TimeInterval = 15 * 60
    ) {
        self.maxFailuresPerAccount = maxFailuresPerAccount
        self.maxFailuresPerAddress = maxFailuresPerAddress
        self.window = window
        self.lockout = lockout
    }

    static let accountPrefix = "account:"
    static let addressPrefix = "address:"

    /// The throttled subjects of one attempt: the name or ID as typed (whether or not such an account exists,
    /// so that locking reveals nothing) and the client's address.
    public static func subjects(nameOrId: String, clientAddress: String?) -> [String] {
        [accountPrefix + nameOrId.lowercased()] + (clientAddress.map { [addressPrefix + $0] } ?? [])
    }

    /// After a failure of `subject`: its count within its window, and when a lockout (if any) ends.
    public func afterFailure(of subject: String, previousFailures: Int, windowStartedAt: Date?, now: Date)
        -> (failures: Int, windowStartedAt: Date, lockedUntil: Date?)
    {
        let limit = subject.hasPrefix(Self.addressPrefix) ? maxFailuresPerAddress : maxFailuresPerAccount
        let fresh = windowStartedAt.map { now.timeIntervalSince($0) > window } ?? true
        let failures = (fresh ? 0 : previousFailures) + 1
        let started = fresh ? now : windowStartedAt!
        return (failures, started, failures >= limit ? now.addingTimeInterval(lockout) : nil)
    }
}

/// What the console needs from the store beyond the API's ports: passwords, sessions and sign-in throttling.
public protocol ConsoleStore: Sendable {
    /// Replaces an account's console password hash; false when there is no such account.
    func setPasswordHash(_ hash: String, accountId: String) async throws -> Bool

    /// The enabled account a sign-in names: by its 16-digit ID, or by a name exactly one account has.
    func signInCandidate(nameOrId: String) async throws -> SignInCandidate?

    /// Records a new session under the hash of its ID (the ID itself is never stored).
    func createSession(idHash: String, accountId: String, csrfToken: String, regionId: String, language: String, now: Date, expiresAt: Date)
        async throws

    /// The session with this ID hash, or nil when unknown, expired, or its account is disabled.
    func session(idHash: String, now: Date) async throws -> ConsoleSession?

    /// Changes a session's region or language.
    func updateSession(idHash: String, regionId: String?, language: String?) async throws

    /// Ends one session (sign-out).
    func deleteSession(idHash: String) async throws

    /// Ends every session of an account except `keeping` (after a password change).
    func deleteSessions(accountId: String, keeping idHash: String?) async throws

    /// When the latest lockout among `subjects` ends, or nil when none is locked out at `now`.
    func signInLockout(subjects: [String], now: Date) async throws -> Date?

    /// Counts a failed sign-in against every subject, locking out those that reach the throttle's limit.
    func recordSignInFailure(subjects: [String], throttle: SignInThrottle, now: Date) async throws

    /// Forgets the failures of `subjects` (after a successful sign-in).
    func clearSignInFailures(subjects: [String]) async throws
}
