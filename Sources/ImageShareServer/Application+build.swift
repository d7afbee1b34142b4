import Foundation
import Hummingbird
import HummingbirdCore
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
    /// Whether console cookies are marked Secure (the console is served over TLS).
    public var secureCookies = false
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

    public init(
        credentials: any CredentialStore, images: any ImageStore, instances: any InstanceStore, accounts: any AccountStore,
        console: any ConsoleStore, securityGroups: any SecurityGroupStore, tags: any TagStore
    ) {
        self.credentials = credentials
        self.images = images
        self.instances = instances
        self.accounts = accounts
        self.console = console
        self.securityGroups = securityGroups
        self.tags = tags
    }

    /// One store that implements every port (the SQL store does, on both engines).
    public init(
        store: some CredentialStore & ImageStore & InstanceStore & AccountStore & ConsoleStore & SecurityGroupStore & TagStore
    ) {
        self.init(
            credentials: store, images: store, instances: store, accounts: store, console: store, securityGroups: store,
            tags: store)
    }
}

/// Builds the whole application (routes, services) so the executable and the tests run the same thing.
public func buildApplication(
    configuration: ServerConfiguration, dependencies: ServerDependencies, logger: Logger
) -> some ApplicationProtocol {
    let router = Router(context: ImageShareRequestContext.self)
    router.get("/healthz") { _, _ in "ok" }
    let catalogue = ImageCatalogue(
        regions: configuration.regions, publicImages: PublicImageCatalogue(regions: configuration.regions),
        store: dependencies.images)
    let actions = makeActionRegistry(configuration: configuration, dependencies: dependencies, catalogue: catalogue)
    RPCController(
        authenticator: RequestAuthenticator(store: dependencies.credentials, now: configuration.now), actions: actions,
        now: configuration.now
    ).addRoutes(to: router)
    ConsoleController(
        configuration: configuration, actions: actions, catalogue: catalogue, instances: dependencies.instances,
        accounts: dependencies.accounts,
        sessions: ConsoleSessions(
            store: dependencies.console, throttle: configuration.signInThrottle, secureCookies: configuration.secureCookies,
            now: configuration.now),
        views: ConsoleViews(), logger: logger
    ).addRoutes(to: router)

    var app = Application(
        router: router,
        server: .guardedHTTP1(configuration.connections),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "ImageShare",
            availableConnectionsDelegate: MaximumAvailableConnections(configuration.connections.maxConnections, logger: logger)),
        onServerRunning: { [storeDescription = configuration.storeDescription] channel in
            let address = channel.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
            logger.notice("ImageShare \(ImageShareVersion.current) listening on http://\(address) (store: \(storeDescription))")
        },
        logger: logger)
    app.addServices(NoncePurgeService(store: dependencies.credentials, now: configuration.now, logger: logger))
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
    SecurityGroupActions(regions: configuration.regions, store: dependencies.securityGroups).register(in: &registry)
    TagActions(regions: configuration.regions, store: dependencies.tags).register(in: &registry)
    ZoneActions(regions: configuration.regions).register(in: &registry)
    return registry
}
