import Foundation
import Hummingbird
import ImageShareCore
import Logging

/// Everything the server needs that is not a store: where to listen, which regions, and the clock.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var regions: RegionCatalogue
    public var now: @Sendable () -> Date

    public init(
        host: String = "127.0.0.1", port: Int = 8080, regions: RegionCatalogue = .builtIn,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.host = host
        self.port = port
        self.regions = regions
        self.now = now
    }
}

/// The stores the server reads and writes.
public struct ServerDependencies: Sendable {
    public let credentials: any CredentialStore

    public init(credentials: any CredentialStore) {
        self.credentials = credentials
    }
}

/// Builds the whole application (routes, services) so the executable and the tests run the same thing.
public func buildApplication(
    configuration: ServerConfiguration, dependencies: ServerDependencies, logger: Logger
) -> some ApplicationProtocol {
    let router = Router()
    router.get("/healthz") { _, _ in "ok" }
    RPCController(
        authenticator: RequestAuthenticator(store: dependencies.credentials, now: configuration.now),
        actions: makeActionRegistry(configuration: configuration),
        now: configuration.now
    ).addRoutes(to: router)

    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "ImageShare"),
        logger: logger)
    app.addServices(NoncePurgeService(store: dependencies.credentials, now: configuration.now, logger: logger))
    return app
}

/// Every action the endpoint offers.
func makeActionRegistry(configuration: ServerConfiguration) -> ActionRegistry {
    var registry = ActionRegistry()
    RegionActions(regions: configuration.regions).register(in: &registry)
    ImageActions(regions: configuration.regions, publicImages: PublicImageCatalogue(regions: configuration.regions))
        .register(in: &registry)
    return registry
}
