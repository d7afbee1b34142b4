import Crypto
import Foundation

/// Encrypts AccessKey secrets at rest with AES-GCM under a key that lives beside the database.
public struct SecretSealer: Sendable {
    // Kept as bytes: SymmetricKey is not Sendable.
    private let keyBytes: Data

    public init(key: SymmetricKey) { self.keyBytes = key.withUnsafeBytes { Data($0) } }

    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// A sealer with a fresh random key, for in-memory stores.
    public static func ephemeral() -> SecretSealer { SecretSealer(key: SymmetricKey(size: .bits256)) }

    /// Loads the key file at `url`, creating it (mode 0600) on first use.
    public static func loadOrCreate(keyFile url: URL) throws -> SecretSealer {
        let manager = FileManager.default
        if manager.fileExists(atPath: url.path) {
            let data = try Data(contentsOf: url)
            guard data.count == 32 else { throw StoreSetupError.badKeyFile(url.path) }
            return SecretSealer(key: SymmetricKey(data: data))
        }
        let key = SymmetricKey(size: .bits256)
        let data = key.withUnsafeBytes { Data($0) }
        // Created with 0600 from the start, so the key is never readable by others even briefly.
        guard manager.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw StoreSetupError.cannotWrite(url.path)
        }
        return SecretSealer(key: key)
    }

    public func seal(_ secret: String) throws -> Data {
        try AES.GCM.seal(Data(secret.utf8), using: key).combined!
    }

    public func open(_ sealed: Data) throws -> String {
        let box = try AES.GCM.SealedBox(combined: sealed)
        return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
    }
}

/// Problems opening a store, reported to the operator at start.
public enum StoreSetupError: Error, CustomStringConvertible {
    case badKeyFile(String)
    case cannotWrite(String)

    public var description: String {
        switch self {
        case let .badKeyFile(path): "the secret key file \(path) is not a 32-byte key"
        case let .cannotWrite(path): "cannot create \(path)"
        }
    }
}
