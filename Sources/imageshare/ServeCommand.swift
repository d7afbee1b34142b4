import ArgumentParser
import Foundation
import Hummingbird
import ImageShareCore
import ImageShareServer
import ImageShareStore
import Logging

/// `imageshare serve`: runs the ECS RPC endpoint until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the ECS-compatible endpoint (RPC at /, web console at /console/, GET /healthz) on the store in --data-dir.",
        discussion: """
            On an empty store the first account ("default") is created and its AccountId, AccessKeyId, \
            AccessKeySecret and console password are printed once. Stop with Ctrl-C or SIGTERM.
            """)

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var port = 8080
    @OptionGroup var store: StoreOptions
    @Option(
        help: ArgumentHelp(
            "Comma-separated region IDs to offer (default: all built-in ones: \(RegionCatalogue.builtIn.regions.map(\.id).joined(separator: ", ")))."),
        transform: { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } })
    var regions: [String]?
    @Option(help: "Seconds CreateImage and CopyImage results stay Creating before they are Available (0: at once).")
    var imageBuildSeconds: Double = 0
    @Option(help: "Custom images one account may own per region (QuotaExceed.Image beyond).")
    var customImageQuota: Int = 100
    @Option(help: "Instances one account may have per region (QuotaExceed.ElasticQuota beyond).")
    var instanceQuota: Int = 1_000
    @Option(help: "Connections served at once; further clients wait until one closes.")
    var maxConnections: Int = ConnectionLimits().maxConnections
    @Option(help: "Seconds a connection may stay idle between requests.")
    var idleTimeout: Int = Int(ConnectionLimits().idleTimeout.components.seconds)
    @Option(help: "Seconds a client may take to send a request's headers (counted from its first byte, or from connecting).")
    var headerTimeout: Int = Int(ConnectionLimits().headerTimeout.components.seconds)
    @Option(help: "Seconds a client may take to send a request body.")
    var bodyTimeout: Int = Int(ConnectionLimits().bodyTimeout.components.seconds)
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard imageBuildSeconds >= 0, imageBuildSeconds <= 86_400 else {
            throw ValidationError("--image-build-seconds must be between 0 and 86400")
        }
        guard customImageQuota >= 0 else { throw ValidationError("--custom-image-quota must not be negative") }
        guard instanceQuota >= 0 else { throw ValidationError("--instance-quota must not be negative") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        for (name, value) in [("--idle-timeout", idleTimeout), ("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout)] {
            guard (1...86_400).contains(value) else { throw ValidationError("\(name) must be between 1 and 86400 seconds") }
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        if let regions, case let .failure(unknown) = RegionCatalogue.builtIn(restrictedTo: regions) {
            throw ValidationError(
                "unknown region \(unknown.id) in --regions (built in: \(RegionCatalogue.builtIn.regions.map(\.id).joined(separator: ", ")))")
        }
    }

    func run() async throws {
        var logger = Logger(label: "imageshare")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        // Before anything is created or printed: a second server on a used port must change nothing.
        try ListenAddress(host: host, port: port).checkAvailable()
        let limits = ConnectionLimits(
            maxConnections: maxConnections, idleTimeout: .seconds(idleTimeout), headerTimeout: .seconds(headerTimeout),
            bodyTimeout: .seconds(bodyTimeout))
        OpenFileLimit.raise(toServe: maxConnections, logger: logger)
        try await store.withStore(creation: .allowed, logger: logger) { [self, logger] store in
            try await serve(store: store, limits: limits, logger: logger)
        }
    }

    private func serve(store: SQLStore, limits: ConnectionLimits, logger: Logger) async throws {
        try await createFirstAccountIfEmpty(store)
        var configuration = ServerConfiguration(
            host: host, port: port, imageBuildSeconds: imageBuildSeconds, customImageQuota: customImageQuota,
            instanceQuota: instanceQuota, connections: limits)
        configuration.storeDescription = self.store.description
        if let regions, case let .success(catalogue) = RegionCatalogue.builtIn(restrictedTo: regions) {
            configuration.regions = catalogue
        }
        let app = buildApplication(
            configuration: configuration, dependencies: ServerDependencies(store: store), logger: logger)
        try await app.runService()
    }

    /// Prints the first account's credentials and console password once, on stdout only (never to the log).
    private func createFirstAccountIfEmpty(_ store: SQLStore) async throws {
        guard let credentials = try await store.createFirstAccount(name: "default", now: Date()) else { return }
        let password = ConsolePassword.generate()
        _ = try await store.setPasswordHash(try await ConsolePassword.hash(password), accountId: credentials.accountId)
        print(
            """
            Created the first account "default". Keep the secret and the password: they are not shown again.
              AccountId:       \(credentials.accountId)
              AccessKeyId:     \(credentials.accessKeyId)
              AccessKeySecret: \(credentials.accessKeySecret)
              ConsolePassword: \(password)
            """)
        fflush(nil)
    }
}
