import ArgumentParser
import Foundation
import ImageShareStore

/// `imageshare backup --to FILE`: a consistent copy of the embedded store, taken while a server runs.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the embedded store to a new file while the server serves traffic (PostgreSQL: use pg_dump).",
        discussion: """
            The copy is one consistent snapshot, created with mode 0600. It holds the AccessKey secrets sealed, \
            not the key that opens them: keep a copy of <data-dir>/secret.key apart from the backups; `imageshare \
            restore` needs it.
            """)

    @Option(help: "The backup file to create (refused if it exists).") var to: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        guard store.databaseURL == nil else {
            throw CommandFailure(
                "this store is in PostgreSQL: back it up with pg_dump (see README.md, \"Backup and restore\"), and keep <data-dir>/secret.key")
        }
        let destination = URL(fileURLWithPath: to)
        do {
            try StoreBackup.backup(directory: store.dataDirectoryURL, to: destination)
        } catch let error as CustomStringConvertible {
            throw CommandFailure(error.description)
        }
        print("backed up \(store.dataDirectoryURL.standardizedFileURL.path) to \(destination.standardizedFileURL.path)")
    }
}

/// `imageshare restore --from FILE`: puts a backup back as the embedded store of --data-dir.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the embedded store in --data-dir with a backup (stop the server first).",
        discussion: """
            The data directory must hold the secret.key the backup was sealed with; a new or keyless directory \
            takes it from --key. Refused while a server or command has the store open.
            """)

    @Option(help: "The backup file made by `imageshare backup`.") var from: String
    @Option(help: "A copy of the store's original secret.key, for a directory that has none.") var key: String?
    @OptionGroup var store: StoreOptions

    func run() throws {
        guard store.databaseURL == nil else {
            throw CommandFailure("this store is in PostgreSQL: restore it with pg_restore or psql (see README.md)")
        }
        umask(0o077)
        do {
            try StoreBackup.restore(
                from: URL(fileURLWithPath: from), into: store.dataDirectoryURL, keyFile: key.map(URL.init(fileURLWithPath:)))
        } catch let error as CustomStringConvertible {
            throw CommandFailure(error.description)
        }
        print("restored \(store.dataDirectoryURL.standardizedFileURL.path) from \(URL(fileURLWithPath: from).standardizedFileURL.path)")
    }
}
