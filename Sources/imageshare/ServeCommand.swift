import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdTLS
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
            AccessKeySecret and console password are printed once. Stop with Ctrl-C or SIGTERM: requests in \
            flight are finished first. GET /readyz answers 200 once the store answers and its schema is current; \
            GET /metrics is Prometheus's text format.

            Every option can also be set in the environment as IMAGESHARE_<NAME> (upper case, dashes as \
            underscores: IMAGESHARE_PORT, IMAGESHARE_TLS_CERT, IMAGESHARE_NO_MIGRATE=true) or in the file named \
            by --config (or IMAGESHARE_CONFIG), one `name = value` per line (`port = 8443`, `tls-cert = \
            "/etc/imageshare/cert.pem"`, `#` comments). The command line wins over the environment, which wins \
            over the file.
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
    @Option(help: "Log level: trace, debug, info (one line per request), notice, warning, error, critical.")
    var logLevel: String = "info"
    @Option(help: "PEM certificate chain: serve HTTPS instead of HTTP (with --tls-key).")
    var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?
    @Option(
        help: ArgumentHelp(
            "Requests per second one AccessKey may make, as RATE or RATE/BURST (Throttling beyond; default: no limit).",
            valueName: "rate[/burst]"))
    var rateLimit: String?
    @Option(
        help: ArgumentHelp(
            "Requests per second one AccessKey may make to one action, as Action=RATE[/BURST] (Throttling beyond); repeatable.",
            valueName: "action=rate[/burst]"))
    var actionRateLimit: [String] = []
    @Option(help: "File of `name = value` settings for the options above (default: $IMAGESHARE_CONFIG).")
    var config: String?
    @Flag(help: "Keep everything in memory (the same SQL store on an in-memory SQLite database); write no file.")
    var inMemory = false
    @Option(
        help: ArgumentHelp(
            "An account with known credentials, created at start (and by a control reset) instead of a generated first account; repeatable.",
            valueName: "name:account-id:access-key-id:secret"))
    var account: [String] = []
    @Option(help: "Serve the test control endpoint at /_imageshare/ to requests carrying this token (see docs/testing.md).")
    var adminToken: String?
    @Option(
        help: ArgumentHelp(
            "With --in-memory: draw resource IDs, AccessKeys and RequestIds from this seed, so the same calls get the same IDs on every run (a reset starts again).",
            valueName: "n"))
    var seed: UInt64?
    @Option(
        help: ArgumentHelp(
            "With --in-memory: load this state file (JSON, as `imageshare state export` writes) at start and at every control reset, before --account.",
            valueName: "file"))
    var fixtures: String?

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
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        _ = try knownAccounts()
        if let adminToken, !(16...256).contains(adminToken.utf8.count) || adminToken.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) {
            throw ValidationError("--admin-token must be 16 to 256 visible ASCII characters")
        }
        if inMemory, store.databaseURL != nil { throw ValidationError("--in-memory and --database exclude each other") }
        // Seeded IDs repeat after a restart, which a kept store would meet as duplicates.
        if fixtures != nil, !inMemory {
            throw ValidationError("--fixtures needs --in-memory (use `imageshare state import` to load a kept store)")
        }
        if seed != nil, !inMemory { throw ValidationError("--seed needs --in-memory (a stored state would meet its IDs again after a restart)") }
        _ = try parsedRateLimits()
        if let regions, case let .failure(unknown) = RegionCatalogue.builtIn(restrictedTo: regions) {
            throw ValidationError(
                "unknown region \(unknown.id) in --regions (built in: \(RegionCatalogue.builtIn.regions.map(\.id).joined(separator: ", ")))")
        }
    }

    /// `--rate-limit` and `--action-rate-limit`, checked.
    private func parsedRateLimits() throws -> RateLimits {
        var limits = RateLimits()
        if let rateLimit {
            guard let limit = RateLimit(parsing: rateLimit) else { throw ValidationError(Self.badRate("--rate-limit", rateLimit)) }
            limits.perAccessKey = limit
        }
        for entry in actionRateLimit {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, let limit = RateLimit(parsing: parts[1]) else {
                throw ValidationError(Self.badRate("--action-rate-limit", entry))
            }
            limits.perAction[String(parts[0])] = limit
        }
        return limits
    }

    /// `--account` values, checked.
    private func knownAccounts() throws -> [KnownAccount] {
        var accounts: [KnownAccount] = []
        for text in account {
            do { accounts.append(try KnownAccount(parsing: text)) } catch { throw ValidationError("--account: \(error.description)") }
        }
        return accounts
    }

    private static func badRate(_ option: String, _ value: String) -> String {
        "\(option) \(value) is not valid: give requests per second (a number from 0.0167, one a minute, to 1000000), optionally followed by /BURST (1 or more)"
            + (option == "--action-rate-limit" ? ", after Action=" : "")
    }

    func run() async throws {
        var logger = Logger(label: "imageshare")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        // Unusable certificate files are found before anything is created or printed.
        var tls: TLSConfiguration?
        if let tlsCert, let tlsKey {
            do { tls = try TLSFiles.serverConfiguration(certificatePath: tlsCert, keyPath: tlsKey) } catch {
                throw ValidationError(error.description)
            }
        }
        // Before anything is created or printed: a second server on a used port must change nothing.
        try ListenAddress(host: host, port: port).checkAvailable()
        let limits = ConnectionLimits(
            maxConnections: maxConnections, idleTimeout: .seconds(idleTimeout), headerTimeout: .seconds(headerTimeout),
            bodyTimeout: .seconds(bodyTimeout))
        OpenFileLimit.raise(toServe: maxConnections, logger: logger)
        if inMemory {
            let store = try await SQLStore.inMemory(identifiers: IdentifierGenerator(seed: seed))
            try await serve(store: store, limits: limits, tls: tls, logger: logger)
            return
        }
        try await store.withStore(creation: .allowed, logger: logger) { [self, logger, tls] store in
            try await serve(store: store, limits: limits, tls: tls, logger: logger)
        }
    }

    private func serve(store: SQLStore, limits: ConnectionLimits, tls: TLSConfiguration?, logger: Logger) async throws {
        let fixtureState = try fixtures.map { try StateCommand.readStateFile($0) }
        if let fixtureState {
            do { try await store.importState(fixtureState, now: Date()) } catch let invalid as StateFileError {
                throw ValidationError("--fixtures \(fixtures ?? ""): \(invalid.description)")
            }
        }
        let knownFixtures = try knownAccounts()
        if knownFixtures.isEmpty, fixtureState == nil {
            try await createFirstAccountIfEmpty(store)
        } else {
            for known in knownFixtures where try await store.account(id: known.accountId) == nil {
                _ = try await store.createAccount(known, now: Date())
            }
        }
        var configuration = ServerConfiguration(
            host: host, port: port, imageBuildSeconds: imageBuildSeconds, customImageQuota: customImageQuota,
            instanceQuota: instanceQuota, connections: limits)
        configuration.storeDescription = inMemory ? "in memory" : self.store.description
        configuration.adminToken = adminToken
        configuration.fixtureAccounts = knownFixtures
        configuration.fixtureState = fixtureState
        configuration.tls = tls
        configuration.rateLimits = try parsedRateLimits()
        if let regions, case let .success(catalogue) = RegionCatalogue.builtIn(restrictedTo: regions) {
            configuration.regions = catalogue
        }
        // One embedded store has one server, whose buckets can live in memory; servers sharing a PostgreSQL
        // database share theirs through it.
        let buckets: (any RateLimitStore)? = self.store.databaseURL == nil ? InProcessRateBuckets() : nil
        let app = buildApplication(
            configuration: configuration,
            dependencies: ServerDependencies(store: store, rateBuckets: buckets), logger: logger)
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
