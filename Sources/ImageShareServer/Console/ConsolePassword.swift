import Foundation
import HummingbirdBcrypt
import NIOPosix

/// Console passwords: the rules they follow, and bcrypt hashing run off the threads that serve requests.
public enum ConsolePassword {
    /// bcrypt's cost: about 0.1 s per hash here, slow enough to make guessing expensive.
    static let cost: UInt8 = 10
    /// bcrypt reads at most 72 bytes; a longer password would be silently cut.
    public static let maxBytes = 72
    public static let minLength = 8

    /// Whether `password` may be set: 8–72 bytes, no control characters.
    public static func isAcceptable(_ password: String) -> Bool {
        password.count >= minLength && password.utf8.count <= maxBytes
            && !password.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// A random 16-character password for a new account.
    public static func generate() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// The salted bcrypt hash of `password`.
    public static func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` matches `hash`. Without a hash the work is done anyway, against a throw-away one, so
    /// that an unknown account takes as long to refuse as a wrong password.
    static func verify(_ password: String, hash: String?) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive {
            let matches = Bcrypt.verify(password, hash: hash ?? Self.decoy)
            return hash != nil && matches
        }
    }

    private static let decoy = Bcrypt.hash("imageshare decoy password", cost: cost)
}
