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
        subcommands: [ServeCommand.self, AccountsCommand.self, KeysCommand.self, BackupCommand.self, RestoreCommand.self])

    /// Parses as usual, after completing `serve`'s arguments from the environment and the config file.
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        do {
            if arguments.first == "serve" {
                arguments = ["serve"]
                    + (try ServeSettings.expand(Array(arguments.dropFirst()), environment: ProcessInfo.processInfo.environment))
            }
            var command = try parseAsRoot(arguments)
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let invalid as ServeSettings.Invalid {
            exit(withError: ValidationError(invalid.description))
        } catch {
            exit(withError: error)
        }
    }
}
