import ArgumentParser

/// `imageshare-bench`: the tools behind `bench/run` (a bare ceiling server, a data generator, a request signer).
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imageshare-bench",
        abstract: "Benchmark tools for ImageShare: bare ceiling server, data generator, request pre-signer.",
        subcommands: [BareCommand.self, SeedCommand.self, SignCommand.self])
}
