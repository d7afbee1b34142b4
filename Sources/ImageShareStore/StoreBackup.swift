import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Backups of the embedded store: a consistent copy taken while a server writes, and its return.
///
/// The copy uses SQLite's online backup API from a read transaction, so it is one snapshot of the database
/// and writers go on meanwhile. It holds sealed AccessKey secrets but not the key that opens them: keep
/// `secret.key` apart from the backups.
public enum StoreBackup {
    /// Why a backup or restore could not be done, in one line.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Copies the store in `directory` to a new file at `destination` (mode 0600).
    public static func backup(directory: URL, to destination: URL) throws -> Void {
        let data = try DataDirectory.open(directory, create: false)
        guard data.hasDatabase else { throw StoreSetupError.noStore(data.path) }
        let path = destination.standardizedFileURL.path
        // Claimed exclusively: an existing file is never overwritten, and the copy is private from its first byte.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw Failure(
                description: errno == EEXIST
                    ? "\(path) already exists; choose a new file for the backup"
                    : "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        do {
            let source = try DatabaseQueue(path: data.databasePath, configuration: busyWaiting())
            let copy = try DatabaseQueue(path: path)
            try source.backup(to: copy)
            // One self-contained file: no -wal beside it.
            try copy.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
        } catch {
            unlink(path)
            throw Failure(description: "the backup to \(path) failed: \(error)")
        }
    }

    /// Replaces the store in `directory` with the backup at `source`.
    ///
    /// The directory's key must be the one the backup's secrets were sealed with; a directory without a key
    /// (or a new one) takes `keyFile`, a copy of the original `secret.key`. Refused while any process has the
    /// store open.
    public static func restore(from source: URL, into directory: URL, keyFile: URL?) throws {
        let sourcePath = source.standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: sourcePath) else {
            throw Failure(description: "no backup at \(sourcePath)")
        }
        let givenKey = try keyFile.map { url throws -> SecretSealer in
            guard let sealer = try SecretSealer.load(keyFile: url) else { throw Failure(description: "no key file at \(url.path)") }
            return sealer
        }
        // A new directory is made only when it can be filled: with a key.
        guard givenKey != nil || FileManager.default.fileExists(atPath: directory.standardizedFileURL.path) else {
            throw Failure(
                description: "\(directory.standardizedFileURL.path) does not exist; to restore into a new directory pass --key with a copy of the store's original secret.key")
        }
        let data = try DataDirectory.open(directory, create: givenKey != nil)
        let lock = try DirectoryLock(directory: data.path, exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        let presentKey = try SecretSealer.load(keyFile: data.keyFile)
        guard let key = presentKey ?? givenKey else {
            throw Failure(description: "\(data.path) has no secret.key; pass --key with a copy of the store's original secret.key")
        }
        if let presentKey, let givenKey, presentKey.fingerprint != givenKey.fingerprint {
            throw Failure(description: "--key differs from \(data.keyFile.path), which the directory already has; restore into another directory")
        }

        let backup: DatabaseQueue
        do {
            var configuration = Configuration()
            configuration.readonly = true
            backup = try DatabaseQueue(path: sourcePath, configuration: configuration)
        } catch {
            throw Failure(description: "\(sourcePath) is not a readable ImageShare backup: \(error)")
        }
        let recorded = try? backup.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM store_settings WHERE name = ?", arguments: [StoreKey.fingerprintSetting])
        }
        guard let recorded else { throw Failure(description: "\(sourcePath) is not an ImageShare backup (it records no key)") }
        guard recorded == key.fingerprint else { throw StoreSetupError.keyMismatch(presentKey == nil ? keyFile!.path : data.keyFile.path) }

        // The copy is made beside the store and renamed over it, so a failure leaves the old store whole.
        let staging = data.url.appendingPathComponent(".restore.\(UUID().uuidString).sqlite").path
        defer { unlink(staging) }
        do {
            try FilePermissions.makePrivateFile(staging)
            let copy = try DatabaseQueue(path: staging)
            try backup.backup(to: copy)
            try copy.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
        } catch {
            throw Failure(description: "the restore from \(sourcePath) failed: \(error)")
        }
        if presentKey == nil, let keyFile {
            let bytes = try Array(Data(contentsOf: keyFile))
            try FilePermissions.writeNewPrivateFile(data.keyFile.path, bytes: bytes, reportedAs: data.keyFile.path)
        }
        // What the old store's write-ahead log holds belongs to the old store: it must not be replayed into this one.
        for suffix in ["-wal", "-shm"] { unlink(data.databasePath + suffix) }
        guard rename(staging, data.databasePath) == 0 else {
            throw Failure(description: "cannot move the restored store into place: \(String(cString: strerror(errno)))")
        }
        let directoryDescriptor = open(data.path, O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    private static func busyWaiting() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return configuration
    }
}

/// A `flock` on the data directory's lock file: shared by every process that has the store open, exclusive
/// for a restore, which must have it to itself. Released when the value is gone (or the process is).
final class DirectoryLock: Sendable {
    private let descriptor: Int32

    static let fileName = "imageshare.lock"

    init(directory: String, exclusive: Bool) throws {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(Self.fileName).path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreSetupError.cannotUse(path, reason: String(cString: strerror(errno))) }
        // A server holds its shared lock while it runs; a restore waits for nobody.
        guard flock(descriptor, exclusive ? LOCK_EX | LOCK_NB : LOCK_SH | LOCK_NB) == 0 else {
            close(descriptor)
            throw exclusive
                ? StoreBackup.Failure(description: "a server or command is using \(directory); stop it first")
                : StoreBackup.Failure(description: "a restore into \(directory) is in progress; start again when it has finished")
        }
    }

    deinit { close(descriptor) }
}
