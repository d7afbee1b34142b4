import ArgumentParser
import Foundation
import ImageShareStore

/// `imageshare-bench seed`: fills a new embedded store with filler data and the benchmark fixture.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Fill a new embedded store (--data-dir) with accounts, images and shares; write bench-fixture.json there.")

    @Option(name: .customLong("data-dir"), help: "Directory of the new store.") var dataDirectory: String
    @Option(help: "Filler accounts.") var accounts = 1_000
    @Option(help: "Filler images.") var images = 1_000
    @Option(help: "Filler share relations (spread evenly over the images, at most 49 each).") var shares = 5_000
    @Option(help: "Region of every image.") var region = "cn-hangzhou"
    @Option(help: "Unexpired signature nonces of the owner's AccessKey (what the server remembers after that many requests).")
    var nonces = 0

    func run() async throws {
        // The fixture file holds the benchmark accounts' secrets.
        umask(0o077)
        let directory = URL(fileURLWithPath: dataDirectory)
        let started = Date()
        let store = try await SQLStore.sqlite(directory: directory)
        let fixture = try await store.seedBenchmark(
            accounts: accounts, images: images, shares: shares, regionId: region, now: Date())
        try await store.seedNonces(nonces, accessKeyId: fixture.owner.accessKeyId, now: Date())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(fixture).write(to: directory.appendingPathComponent("bench-fixture.json"))
        let seconds = Date().timeIntervalSince(started)
        print("seeded \(accounts) accounts, \(images) images, \(shares) shares, \(nonces) nonces in \(String(format: "%.1f", seconds)) s")
    }
}
