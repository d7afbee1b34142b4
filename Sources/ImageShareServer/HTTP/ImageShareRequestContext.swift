import Hummingbird
import HummingbirdCore
import NIOCore

/// The request context of every route: Hummingbird's core storage and the client's address, which the
/// console's sign-in throttle counts failures by.
public struct ImageShareRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
