import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Encrypts AccessKey secrets at rest with AES-GCM under a key that lives beside the database.
public struct SecretSealer: Sendable {
    // Kept as bytes: SymmetricKey is not Sendable.
    private let keyBytes: Data

    public init(key: SymmetricKey) { self.keyBytes = key.withUnsafeBytes { Data($0) } }

    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// A sealer with a fresh random key, for in-memory stores.
    public static func ephemeral() -> SecretSealer { SecretSealer(key: SymmetricKey(size: .bits256)) }

    /// Names the key without revealing it; the store records it to recognise its key later.
    public var fingerprint: String {
        HMAC<SHA256>.authenticationCode(for: Data("imageshare secret key fingerprint".utf8), using: key)
            .map { String(format: "%02x", $0) }.joined()
    }

    public func seal(_ secret: String) throws -> Data {
        try AES.GCM.seal(Data(secret.utf8), using: key).combined!
    }

    public func open(_ sealed: Data) throws -> String {
        let box = try AES.GCM.SealedBox(combined: sealed)
        return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
    }
}

extension SecretSealer {
    /// Reads the key file at `url`, refusing one that other users can read; nil when there is none.
    public static func load(keyFile url: URL) throws(StoreSetupError) -> SecretSealer? {
        let path = url.path
        var info = stat()
        guard stat(path, &info) == 0 else {
            guard errno == ENOENT else { throw .cannotUse(path, reason: String(cString: strerror(errno))) }
            return nil
        }
        try FilePermissions.requirePrivate(path, info: info, fix: "chmod 600")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .cannotUse(path, reason: "it cannot be read")
        }
        guard data.count == 32 else { throw .badKeyFile(path) }
        return SecretSealer(key: SymmetricKey(data: data))
    }

    /// Creates the key file at `url` once, or reads the one another process created first.
    ///
    /// The key is written to a temporary file created with mode 0600 (exclusively, so never readable by
    /// others, whatever the umask), synced, and then linked to its name: the link either appears complete or
    /// fails because the name exists, so two processes starting on a new directory end up with one key, and
    /// no reader ever sees a partial file.
    public static func createOrLoad(keyFile url: URL) throws(StoreSetupError) -> SecretSealer {
        if let existing = try load(keyFile: url) { return existing }
        let path = url.path
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".secret.key.\(UUID().uuidString)").path
        let key = SymmetricKey(size: .bits256)
        defer { unlink(temporary) }
        try FilePermissions.writeNewPrivateFile(temporary, bytes: key.withUnsafeBytes { Array($0) }, reportedAs: path)
        guard link(temporary, path) == 0 else {
            guard errno == EEXIST else { throw .cannotUse(path, reason: String(cString: strerror(errno))) }
            guard let winner = try load(keyFile: url) else { throw .keyFileMissing(path) }
            return winner
        }
        return SecretSealer(key: key)
    }
}
