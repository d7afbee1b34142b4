import Foundation

/// Finds a store's secret key and makes sure it is the one the store's secrets are sealed with.
///
/// A store records its key's fingerprint when it first gets one. Without that, a restored backup or a second
/// server started without the copied key file would make a new key and then fail every existing AccessKey.
enum StoreKey {
    static let fingerprintSetting = "key_fingerprint"

    /// The key in `keyFile`, or a new one on a store that has never had one (when `creation` allows).
    static func resolve(keyFile: URL, engine: any SQLEngine, creation: SQLStore.Creation) async throws -> SecretSealer {
        if let existing = try SecretSealer.load(keyFile: keyFile) { return existing }
        let hasSealedSecrets = try await engine.read { db in
            try fingerprint(db) != nil || (try db.fetchOne("SELECT 1 FROM access_keys LIMIT 1") != nil)
        }
        if hasSealedSecrets {
            // A process starting beside this one may have linked the key, then recorded it, since the first
            // look: the record comes after the file, so a second look settles it.
            if let existing = try SecretSealer.load(keyFile: keyFile) { return existing }
            throw StoreSetupError.keyFileMissing(keyFile.path)
        }
        guard creation == .allowed else { throw StoreSetupError.noStore(keyFile.deletingLastPathComponent().path) }
        return try SecretSealer.createOrLoad(keyFile: keyFile)
    }

    /// Records `sealer`'s fingerprint on a store that has none, or checks it against the recorded one.
    static func adopt(_ sealer: SecretSealer, engine: any SQLEngine, keyName: String) async throws {
        let expected = sealer.fingerprint
        try await engine.write { db in
            if let recorded = try fingerprint(db) {
                guard recorded == expected else { throw StoreSetupError.keyMismatch(keyName) }
                return
            }
            // A store from before fingerprints: the key must open the secrets it already holds.
            if let sealed = try db.fetchOne("SELECT secret_sealed FROM access_keys LIMIT 1") {
                guard (try? sealer.open(try sealed.first(as: Data.self))) != nil else {
                    throw StoreSetupError.keyMismatch(keyName)
                }
            }
            // Two processes starting on a new store together: the first record wins, the other must match it.
            try db.execute(
                "INSERT INTO store_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                [fingerprintSetting, expected])
            guard try fingerprint(db) == expected else { throw StoreSetupError.keyMismatch(keyName) }
        }
    }

    private static func fingerprint(_ db: any SQLSession) throws -> String? {
        try db.fetchValue("SELECT value FROM store_settings WHERE name = ?", [fingerprintSetting], as: String.self)
    }
}
