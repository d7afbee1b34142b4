import Crypto
import Foundation
import Hummingbird
import ImageShareCore

/// Console sign-in and sessions: the session cookie, the store's session rows, and the sign-in throttle.
///
/// The cookie carries a random session ID; the store keeps only its SHA-256, so that whoever reads the
/// database cannot take over a session. A new ID is issued at every sign-in.
struct ConsoleSessions: Sendable {
    static let cookieName = "imageshare_session"
    static let languageCookieName = "imageshare_language"
    /// A session ends 12 hours after sign-in, like a working day.
    static let lifetime: TimeInterval = 12 * 3600

    let store: any ConsoleStore
    let throttle: SignInThrottle
    /// Set when the console is served over TLS.
    let secureCookies: Bool
    let now: @Sendable () -> Date

    /// The signed-in session of a request, with the hash it is stored under.
    struct Current: Sendable {
        let session: ConsoleSession
        let idHash: String

        var language: ConsoleLanguage { ConsoleLanguage(rawValue: session.language) ?? .zh }
    }

    func current(_ request: Request) async throws -> Current? {
        guard let id = request.cookies[Self.cookieName]?.value, !id.isEmpty, id.utf8.count <= 64 else { return nil }
        let idHash = Self.hash(id)
        guard let session = try await store.session(idHash: idHash, now: now()) else { return nil }
        return Current(session: session, idHash: idHash)
    }

    /// Why a sign-in was refused; the message never says whether the name or the password was wrong.
    enum Refusal: Error {
        case wrongNameOrPassword
        case lockedOut(until: Date)
    }

    /// Checks a name or ID and password; on success records a new session and returns its cookie.
    func signIn(nameOrId: String, password: String, clientAddress: String?, regionId: String, language: ConsoleLanguage)
        async throws -> Cookie
    {
        let subjects = SignInThrottle.subjects(nameOrId: nameOrId, clientAddress: clientAddress)
        if let until = try await store.signInLockout(subjects: subjects, now: now()) { throw Refusal.lockedOut(until: until) }
        let candidate = try await store.signInCandidate(nameOrId: nameOrId)
        guard try await ConsolePassword.verify(password, hash: candidate?.passwordHash), let account = candidate?.account else {
            try await store.recordSignInFailure(subjects: subjects, throttle: throttle, now: now())
            throw Refusal.wrongNameOrPassword
        }
        try await store.clearSignInFailures(subjects: subjects)
        let id = Self.randomToken()
        let started = now()
        try await store.createSession(
            idHash: Self.hash(id), accountId: account.id, csrfToken: Self.randomToken(), regionId: regionId,
            language: language.rawValue, now: started, expiresAt: started.addingTimeInterval(Self.lifetime))
        return sessionCookie(value: id, maxAge: Int(Self.lifetime))
    }

    func signOut(_ current: Current) async throws -> Cookie {
        try await store.deleteSession(idHash: current.idHash)
        return sessionCookie(value: "", maxAge: 0)
    }

    /// HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure under TLS, and only
    /// for the console's paths.
    func sessionCookie(value: String, maxAge: Int) -> Cookie {
        Cookie(
            name: Self.cookieName, value: value, maxAge: maxAge, path: "/console", secure: secureCookies, httpOnly: true,
            sameSite: .strict)
    }

    /// The sign-in page's language choice, kept for the next visit.
    func languageCookie(_ language: ConsoleLanguage) -> Cookie {
        Cookie(
            name: Self.languageCookieName, value: language.rawValue, maxAge: 365 * 86_400, path: "/console",
            secure: secureCookies, httpOnly: true, sameSite: .strict)
    }

    /// Whether a form's CSRF token is the session's (compared in constant time).
    static func isValidToken(_ token: String?, for session: ConsoleSession) -> Bool {
        guard let token else { return false }
        let a = Array(token.utf8), b = Array(session.csrfToken.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// 32 random bytes, URL-safe Base64 without padding.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ id: String) -> String {
        SHA256.hash(data: Data(id.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
