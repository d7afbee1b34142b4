import ArgumentParser
import Foundation
import ImageShareServer

/// The `imageshare` command tree.
@main
struct ImageShareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imageshare",
        abstract: "An Alibaba Cloud ECS-compatible service for custom images and cross-account image sharing.",
        version: ImageShareVersion.current,
        subcommands: [
            ServeCommand.self, AccountsCommand.self, KeysCommand.self, BackupCommand.self, RestoreCommand.self, StateCommand.self,
        ])

    /// Parses as usual, after completing `serve`'s arguments from the environment and the config file.
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var sources: [String: String] = [:]
        do {
            if arguments.first == "serve" {
                let expansion = try ServeSettings.expand(
                    Array(arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
                arguments = ["serve"] + expansion.arguments
                sources = expansion.sources
            }
            var command = try parseAsRoot(arguments)
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let invalid as ServeSettings.Invalid {
            ServeCommand.exit(withError: ValidationError(invalid.description))
        } catch {
            // A bad value that came from the environment or the file: say where it was set.
            let message = ServeCommand.message(for: error)
            let named = sources.first { message.contains("--\($0.key) ") || message.contains("--\($0.key)'") }
            if let source = named?.value {
                ServeCommand.exit(withError: ValidationError("\(message) (set by \(source))"))
            }
            exit(withError: error)
        }
    }
}
