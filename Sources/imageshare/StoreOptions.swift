import ArgumentParser
import Foundation
import ImageShareStore

/// Where the store lives; shared by `serve` and every admin command so they open the same data.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: "Directory of the embedded SQLite store (created on first use).")
    var dataDirectory: String = "./imageshare-data"

    func openStore() throws -> SQLiteStore {
        try SQLiteStore(directory: URL(fileURLWithPath: dataDirectory))
    }
}
