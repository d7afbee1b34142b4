import ArgumentParser
import Foundation
import ImageShareCore
import ImageShareStore

/// `imageshare state export|import`: the whole state of a store as a state file, the format `serve --fixtures` loads.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state", abstract: "Export a store's whole state as a state file, or replace it with one.",
        discussion: """
            A state file is JSON: the store's rows table by table, with AccessKey secrets in plain text (keep it \
            private). `serve --in-memory --fixtures FILE` starts from one; a test server's control endpoint \
            exports and imports the same format (GET/POST /_imageshare/state). See docs/testing.md.
            """,
        subcommands: [Export.self, Import.self])

    /// The largest state file read.
    static let maxFileBytes = 64 << 20

    static func readStateFile(_ path: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: path)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        guard let size else { throw ValidationError("cannot read the state file \(path)") }
        guard size <= maxFileBytes else { throw ValidationError("the state file \(path) is larger than \(maxFileBytes >> 20) MiB") }
        guard let data = try? Data(contentsOf: url) else { throw ValidationError("cannot read the state file \(path)") }
        return Array(data)
    }

    /// `state export [--to FILE]`.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the store's whole state as a state file (to standard output, or a new 0600 file).")

        @Option(help: "The file to create (refused if it exists); default: standard output.") var to: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let document = try await store.withExistingStore { try await $0.exportState() }
            guard let to else {
                FileHandle.standardOutput.write(Data(document))
                return
            }
            let descriptor = open(to, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard descriptor >= 0 else { throw CommandFailure("cannot create \(to): \(String(cString: strerror(errno)))") }
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            try handle.write(contentsOf: Data(document))
            try handle.synchronize()
        }
    }

    /// `state import --from FILE`.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the store's whole state with a state file's, all or nothing (stop servers on the store first).",
            discussion: "Used nonces, rate-limit buckets and sign-in failures are kept; everything else is replaced.")

        @Option(help: "The state file to load.") var from: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let file = try StateCommand.readStateFile(from)
            do {
                try await store.withExistingStore { try await $0.importState(file, now: Date()) }
            } catch let invalid as StateFileError {
                throw CommandFailure("\(from): \(invalid.description)")
            }
            print("imported \(URL(fileURLWithPath: from).standardizedFileURL.path)")
        }
    }
}
