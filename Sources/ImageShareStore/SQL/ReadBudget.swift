import Foundation
import GRDB
import GRDBSQLite

/// Bounds how long one SQLite read may run: past its deadline, SQLite's progress handler interrupts it and
/// the request gets `ServiceUnavailable`.
///
/// The input rules already keep every query small; this is the backstop that keeps a query nobody foresaw
/// from holding a reader connection. The deadline is per thread: a read body runs synchronously on the thread
/// of its GRDB connection, and that is where SQLite calls the handler.
public enum ReadBudget {
    /// How long one read transaction may take, unless the engine says otherwise.
    public static let defaultLimit: Duration = .seconds(3)

    /// Installs the handler on a new connection (SQLite calls it every 1,000 virtual-machine steps).
    static func install(on db: Database) {
        sqlite3_progress_handler(db.sqliteConnection, 1_000, { _ in ReadBudget.isExceeded ? 1 : 0 }, nil)
    }

    /// Runs `body` with a deadline `limit` from now set for this thread.
    static func run<T>(limit: Duration, _ body: () throws -> T) rethrows -> T {
        let (seconds, attoseconds) = limit.components
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
        setDeadline(deadline)
        defer { setDeadline(0) }
        return try body()
    }

    private static var isExceeded: Bool {
        let deadline = UInt64(UInt(bitPattern: pthread_getspecific(key)))
        return deadline != 0 && DispatchTime.now().uptimeNanoseconds > deadline
    }

    private static func setDeadline(_ value: UInt64) {
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: UInt(value)))
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}
