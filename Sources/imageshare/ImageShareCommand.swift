import ArgumentParser
import ImageShareServer

/// The `imageshare` command tree.
@main
struct ImageShareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imageshare",
        abstract: "An Alibaba Cloud ECS-compatible service for custom images and cross-account image sharing.",
        version: ImageShareVersion.current,
        subcommands: [ServeCommand.self, AccountsCommand.self, KeysCommand.self])
}
