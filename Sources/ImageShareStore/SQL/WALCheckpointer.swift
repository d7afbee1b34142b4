import Dispatch
import GRDB

/// Copies committed WAL frames into the database file from a connection of its own, every few milliseconds.
///
/// SQLite's automatic checkpoint runs inside whichever commit makes the WAL cross 1,000 pages, and under load
/// that commit, and every request waiting on it, paid for copying the whole WAL: most of the p99 latency of
/// each signed call, since each one claims a nonce. A passive checkpoint here blocks neither the writer nor the
/// readers, so the automatic checkpoint finds only the last few frames left to copy. It still runs, because
/// only a checkpoint made while no commit can slip in completes, and SQLite rewinds the WAL only after a
/// complete one; without it the WAL grows for as long as writes keep coming.
final class WALCheckpointer: @unchecked Sendable {
    // @unchecked: the timer is set up once in `init` and only cancelled in `deinit`.
    private let timer: DispatchSourceTimer

    init(path: String, interval: DispatchTimeInterval = .milliseconds(10)) throws {
        var configuration = Configuration()
        // Opening may meet another process (the CLI, a migration) holding the write lock for a moment.
        configuration.busyMode = .timeout(1)
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "imageshare.wal-checkpoint"))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler {
            // A checkpoint that finds the database busy or fails on I/O copies nothing; the next tick retries,
            // and the committed frames stay safe in the WAL meanwhile.
            _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        }
        timer.resume()
    }

    deinit {
        timer.cancel()
    }
}
