import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data directory: the embedded database and the secret key file, kept private to the user who runs the
/// service.
///
/// The key decrypts every AccessKey secret, so the directory is created with mode 0700 and the service refuses
/// to use one (or a key file) that other users can read, rather than quietly tightening it after the fact.
public struct DataDirectory: Sendable {
    public let url: URL

    public var path: String { url.path }
    public var databasePath: String { url.appendingPathComponent(SQLStore.databaseFileName).path }
    public var keyFile: URL { url.appendingPathComponent(SQLStore.keyFileName) }

    /// Whether the embedded database exists here (a server has started on this directory before).
    public var hasDatabase: Bool { FileManager.default.fileExists(atPath: databasePath) }

    /// Opens the directory at `url`, creating it (mode 0700) when `create` is set.
    ///
    /// Refuses, with a message that names the path and what to do: a path that is a file, a directory that
    /// cannot be created or written, one that group or others may access, and, without `create`, a missing one.
    public static func open(_ url: URL, create: Bool) throws(StoreSetupError) -> DataDirectory {
        let directory = DataDirectory(url: url.standardizedFileURL)
        let path = directory.path
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else { throw .cannotUse(path, reason: String(cString: strerror(errno))) }
            guard create else { throw .noStore(path) }
            try directory.create()
            return directory
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .notADirectory(path) }
        try FilePermissions.requirePrivate(path, info: info, fix: "chmod 700")
        guard access(path, W_OK | X_OK) == 0 else { throw .notWritable(path) }
        return directory
    }

    private func create() throws(StoreSetupError) {
        // Parents are made as usual; the data directory itself is private from its first moment.
        let parent = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw .cannotCreate(path, reason: Self.reason(error))
        }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw .cannotCreate(path, reason: String(cString: strerror(errno)))
        }
        // mkdir applies the umask, which can only remove bits; a umask that removed the owner's is undone here.
        guard chmod(path, 0o700) == 0 else { throw .cannotCreate(path, reason: String(cString: strerror(errno))) }
    }

    private static func reason(_ error: any Error) -> String {
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return (error as NSError).localizedDescription
    }
}

/// Checks and settings of file modes for the store's private files.
enum FilePermissions {
    /// Refuses a file or directory that group or others may access, naming it and the command that fixes it.
    static func requirePrivate(_ path: String, info: stat, fix: String) throws(StoreSetupError) {
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 { throw .notPrivate(path, mode: mode, fix: "\(fix) \(path)") }
    }

    /// Creates `path` exclusively with mode 0600 and writes and syncs `bytes`; errors name `reportedAs`.
    static func writeNewPrivateFile(_ path: String, bytes: [UInt8], reportedAs shownPath: String) throws(StoreSetupError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotUse(shownPath, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard fchmod(descriptor, 0o600) == 0, written == bytes.count, fsync(descriptor) == 0 else {
            throw .cannotUse(shownPath, reason: "it could not be written: \(String(cString: strerror(errno)))")
        }
    }

    /// Creates `path` empty with mode 0600 if it does not exist, and narrows it to 0600 if it does.
    static func makePrivateFile(_ path: String) throws(StoreSetupError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotUse(path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        guard fchmod(descriptor, 0o600) == 0 else { throw .cannotUse(path, reason: String(cString: strerror(errno))) }
    }
}

/// Problems opening a store, reported to the operator at start in one line: the path, what is wrong, what to do.
public enum StoreSetupError: Error, CustomStringConvertible, Equatable {
    case noStore(String)
    case notADirectory(String)
    case cannotCreate(String, reason: String)
    case cannotUse(String, reason: String)
    case notWritable(String)
    case notPrivate(String, mode: mode_t, fix: String)
    case badKeyFile(String)
    case keyFileMissing(String)
    case keyMismatch(String)
    case noDatabaseSchema

    public var description: String {
        switch self {
        case let .noStore(path):
            "no ImageShare store at \(path) (start the server first or pass --data-dir)"
        case let .notADirectory(path):
            "the data directory \(path) is a file, not a directory; pass another --data-dir"
        case let .cannotCreate(path, reason):
            "cannot create the data directory \(path): \(reason); create it yourself or pass another --data-dir"
        case let .cannotUse(path, reason):
            "cannot use \(path): \(reason)"
        case let .notWritable(path):
            "the data directory \(path) is not writable by this user; fix its owner or mode, or pass another --data-dir"
        case let .notPrivate(path, mode, fix):
            "\(path) can be read by other users (mode \(String(mode, radix: 8))); it guards every AccessKey secret, so run `\(fix)` and start again"
        case let .badKeyFile(path):
            "the secret key file \(path) is not a 32-byte key; restore it from the data directory the store was created with"
        case let .keyFileMissing(path):
            "the store's AccessKey secrets are sealed with a key, but \(path) is missing; copy secret.key from the data directory the store was created with"
        case let .keyMismatch(path):
            "the secret key (\(path)) does not belong to this store (its AccessKey secrets were sealed with another key); use the key file the store was created with"
        case .noDatabaseSchema:
            "no ImageShare store in this database yet (start the server on it first)"
        }
    }
}
