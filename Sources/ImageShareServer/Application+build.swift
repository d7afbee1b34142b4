import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import ImageShareCore
import Logging

/// The release of this build, printed by `imageshare --version` and at start.
public enum ImageShareVersion {
    public static let current = "0.8.0"
}

/// Everything the server needs that is not a store: where to listen, which regions, and the clock.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var regions: RegionCatalogue
    /// How long CreateImage and CopyImage results stay `Creating` (0: `Available` at once).
    public var imageBuildSeconds: Double
    /// Custom images an account may own per region (`QuotaExceed.Image` beyond).
    public var customImageQuota: Int
    /// Instances an account may have per region (`QuotaExceed.ElasticQuota` beyond).
    public var instanceQuota: Int
    /// Timeouts and the connection cap.
    public var connections: ConnectionLimits
    /// Where the data lives, for the startup line (`SQLite in ./imageshare-data`).
    public var storeDescription: String = "an in-memory store"
    /// How repeated console sign-in failures are slowed down.
    public var signInThrottle = SignInThrottle()
    /// Serve HTTPS with this certificate and key (`--tls-cert`, `--tls-key`) instead of HTTP.
    public var tls: TLSConfiguration?
    /// Flow control of signed requests (off unless configured).
    public var rateLimits = RateLimits()
    /// The test control endpoint's token (`--admin-token`); without one the endpoint does not exist.
    public var adminToken: String?
    /// Accounts with known credentials (`--account`), created at start and again by a control reset.
    public var fixtureAccounts: [KnownAccount] = []
    /// A state file (`--fixtures`) loaded at start and again by a control reset, before `fixtureAccounts`.
    public var fixtureState: [UInt8]?
    /// Whether console cookies are marked Secure: always when the console is served over TLS.
    public var secureCookies: Bool {
        get { forceSecureCookies || tls != nil }
        set { forceSecureCookies = newValue }
    }
    private var forceSecureCookies = false
    public var now: @Sendable () -> Date

    public init(
        host: String = "127.0.0.1", port: Int = 8080, regions: RegionCatalogue = .builtIn, imageBuildSeconds: Double = 0,
        customImageQuota: Int = 100, instanceQuota: Int = 1_000, connections: ConnectionLimits = ConnectionLimits(),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.host = host
        self.port = port
        self.regions = regions
        self.imageBuildSeconds = imageBuildSeconds
        self.customImageQuota = customImageQuota
        self.instanceQuota = instanceQuota
        self.connections = connections
        self.now = now
    }
}

/// The stores the server reads and writes.
public struct ServerDependencies: Sendable {
    public let credentials: any CredentialStore
    public let images: any ImageStore
    public let instances: any InstanceStore
    public let accounts: any AccountStore
    public let console: any ConsoleStore
    public let securityGroups: any SecurityGroupStore
    public let tags: any TagStore
    /// What `/readyz` and the store metrics ask.
    public let health: any StoreHealth
    /// Where rate-limit buckets live.
    public let rateBuckets: any RateLimitStore
    /// What the control endpoint's reset empties and its snapshots save.
    public let reset: any StoreReset
    /// Where new resource IDs and RequestIds come from: the store's own generator.
    public var identifiers: IdentifierGenerator { reset.identifiers }
    /// What the control endpoint's state export and import (and the fixtures file) read and write.
    public let stateFiles: any StateFileStore

    public init(
        credentials: any CredentialStore, images: any ImageStore, instances: any InstanceStore, accounts: any AccountStore,
        console: any ConsoleStore, securityGroups: any SecurityGroupStore, tags: any TagStore, health: any StoreHealth,
        rateBuckets: any RateLimitStore, reset: any StoreReset, stateFiles: any StateFileStore
    ) {
        self.credentials = credentials
        self.images = images
        self.instances = instances
        self.accounts = accounts
        self.console = console
        self.securityGroups = securityGroups
        self.tags = tags
        self.health = health
        self.rateBuckets = rateBuckets
        self.reset = reset
        self.stateFiles = stateFiles
    }

    /// One store that implements every port (the SQL store does, on both engines); rate-limit buckets in
    /// `rateBuckets` when given (the process's own, for a store no other server shares), else in the store.
    public init(
        store: some CredentialStore & ImageStore & InstanceStore & AccountStore & ConsoleStore & SecurityGroupStore & TagStore
            & StoreHealth & RateLimitStore & StoreReset & StateFileStore,
        rateBuckets: (any RateLimitStore)? = nil
    ) {
        self.init(
            credentials: store, images: store, instances: store, accounts: store, console: store, securityGroups: store,
            tags: store, health: store, rateBuckets: rateBuckets ?? store, reset: store, stateFiles: store)
    }
}

/// Builds the whole application (routes, services) so the executable and the tests run the same thing.
public func buildApplication(
    configuration: ServerConfiguration, dependencies: ServerDependencies, logger: Logger
) -> some ApplicationProtocol {
    // Resources follow the service clock, which the control endpoint may move forward; signatures and nonces
    // keep the real one, so that clients' timestamps stay acceptable after a move.
    let realNow = configuration.now
    let clock = ServiceClock(base: realNow)
    var configuration = configuration
    configuration.now = { clock.now() }
    let faults = FaultInjector()
    let router = Router(context: ImageShareRequestContext.self)
    let metrics = ServerMetrics()
    dependencies.health.latency.listen { access, duration in metrics.recordStore(access, duration: duration) }
    OperationsController(health: dependencies.health, metrics: metrics).addRoutes(to: router)
    let catalogue = ImageCatalogue(
        regions: configuration.regions, publicImages: PublicImageCatalogue(regions: configuration.regions),
        store: dependencies.images)
    let actions = makeActionRegistry(configuration: configuration, dependencies: dependencies, catalogue: catalogue)
    let authenticator = RequestAuthenticator(store: dependencies.credentials, now: realNow)
    RPCController(
        authenticator: authenticator, actions: actions,
        rateLimiter: RateLimiter(limits: configuration.rateLimits, buckets: dependencies.rateBuckets), faults: faults,
        metrics: metrics, identifiers: dependencies.identifiers, now: configuration.now
    ).addRoutes(to: router)
    ConsoleController(
        configuration: configuration, actions: actions, catalogue: catalogue, instances: dependencies.instances,
        accounts: dependencies.accounts,
        sessions: ConsoleSessions(
            store: dependencies.console, throttle: configuration.signInThrottle, secureCookies: configuration.secureCookies,
            now: configuration.now),
        views: ConsoleViews(), logger: logger
    ).addRoutes(to: router)

    if let token = configuration.adminToken {
        ControlController(
            token: token, fixtures: configuration.fixtureAccounts, fixtureState: configuration.fixtureState,
            store: dependencies.reset, stateFiles: dependencies.stateFiles, accounts: dependencies.accounts,
            regions: configuration.regions, clock: clock, faults: faults, forgetCachedKeys: { authenticator.keys.forgetAll() }
        ).addRoutes(to: router)
    }
    let server: HTTPServerBuilder = .guardedHTTP1(configuration.connections, metrics: metrics, tls: configuration.tls)
    let scheme = configuration.tls == nil ? "http" : "https"
    var app = Application(
        router: router,
        server: server,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "ImageShare",
            availableConnectionsDelegate: MaximumAvailableConnections(configuration.connections.maxConnections, logger: logger)),
        onServerRunning: { [storeDescription = configuration.storeDescription] channel in
            let address = channel.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
            logger.notice("ImageShare \(ImageShareVersion.current) listening on \(scheme)://\(address) (store: \(storeDescription))")
        },
        logger: logger)
    app.addServices(
        NoncePurgeService(
            store: dependencies.credentials, now: realNow, logger: logger,
            remembered: { metrics.recordNonceCount($0) }))
    return app
}

/// Every action the endpoint (and the console) offers.
func makeActionRegistry(configuration: ServerConfiguration, dependencies: ServerDependencies, catalogue: ImageCatalogue)
    -> ActionRegistry
{
    var registry = ActionRegistry()
    RegionActions(regions: configuration.regions).register(in: &registry)
    ImageActions(catalogue: catalogue, store: dependencies.images, configuration: configuration).register(in: &registry)
    SharingActions(catalogue: catalogue, store: dependencies.images).register(in: &registry)
    InstanceActions(catalogue: catalogue, store: dependencies.instances, instanceQuota: configuration.instanceQuota)
        .register(in: &registry)
    DiskActions(catalogue: catalogue, store: dependencies.instances).register(in: &registry)
    InstanceAttributeActions(regions: configuration.regions, store: dependencies.instances).register(in: &registry)
    DiskLifecycleActions(regions: configuration.regions, store: dependencies.instances).register(in: &registry)
    SecurityGroupActions(regions: configuration.regions, store: dependencies.securityGroups, identifiers: dependencies.identifiers)
        .register(in: &registry)
    TagActions(regions: configuration.regions, store: dependencies.tags).register(in: &registry)
    ZoneActions(regions: configuration.regions).register(in: &registry)
    return registry
}
