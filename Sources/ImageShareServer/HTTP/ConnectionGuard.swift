import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTPTypes

/// How long a client may take and how many may be connected at once.
///
/// Without them a client holds a connection, and a file descriptor, for as long as it likes: idle, or sending
/// its headers or body a byte at a time.
public struct ConnectionLimits: Sendable, Equatable {
    /// Connections served at once; further clients wait in the listen backlog until one closes.
    public var maxConnections: Int
    /// How long a connection may wait for its next request after a response.
    public var idleTimeout: Duration
    /// How long a client may take from the first byte of a request (or from connecting) to the end of its
    /// headers.
    public var headerTimeout: Duration
    /// How long a client may take to send a request body once its headers are in.
    public var bodyTimeout: Duration

    public init(
        maxConnections: Int = 2_048, idleTimeout: Duration = .seconds(60), headerTimeout: Duration = .seconds(10),
        bodyTimeout: Duration = .seconds(30)
    ) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with the idle, header and body timeouts of `limits` (the cap is the application's), counted
    /// in `metrics`' connection gauge, inside TLS when `tls` is given.
    static func guardedHTTP1(_ limits: ConnectionLimits, metrics: ServerMetrics, tls: TLSConfiguration?) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            let channel = GuardedHTTP1Channel(
                inner: HTTP1Channel(
                    responder: responder, configuration: .init(additionalChannelHandlers: [ReadDeadlines.PartWatcher()])),
                limits: limits, metrics: metrics)
            guard let tls else { return channel }
            return try TLSChannel(channel, tlsConfiguration: tls)
        }
    }
}

/// Hummingbird's HTTP/1 child channel with `ReadDeadlines` watching it: bytes before the HTTP decoder (a
/// request has started), decoded parts after it (its head and end are in, its response is out).
struct GuardedHTTP1Channel: ServerChildChannel {
    let inner: HTTP1Channel
    let limits: ConnectionLimits
    let metrics: ServerMetrics

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        let limits = limits
        let inner = inner
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ReadDeadlines.ByteWatcher(ReadDeadlines(limits: limits)), position: .first)
        }.flatMap { inner.setup(channel: channel, logger: logger) }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        metrics.connectionOpened()
        defer { metrics.connectionClosed() }
        await inner.handle(value: value, logger: logger)
    }
}

/// The one timer of a connection, set by where its current request stands; when it fires the connection closes.
///
/// Lives on the connection's event loop: both watchers and the timer run there.
final class ReadDeadlines {
    private enum Phase {
        /// Between requests (or before the first byte of the first one).
        case idle
        /// A request's first bytes are in, its head is not.
        case readingHead
        /// The head is in, the body's end is not.
        case readingBody
        /// The request is read; the application is answering (its own budgets bound that).
        case responding
    }

    private let limits: ConnectionLimits
    private var phase = Phase.idle
    private var timer: Scheduled<Void>?

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    /// A new connection must start a request as promptly as a started request must finish its head.
    func connected(_ context: ChannelHandlerContext) {
        phase = .idle
        arm(limits.headerTimeout, context)
    }

    func bytesArrived(_ context: ChannelHandlerContext) {
        guard phase == .idle else { return }
        phase = .readingHead
        arm(limits.headerTimeout, context)
    }

    func headArrived(_ context: ChannelHandlerContext) {
        phase = .readingBody
        arm(limits.bodyTimeout, context)
    }

    func endArrived() {
        phase = .responding
        disarm()
    }

    func responseSent(_ context: ChannelHandlerContext) {
        guard phase == .responding else { return }
        phase = .idle
        arm(limits.idleTimeout, context)
    }

    func disarm() {
        timer?.cancel()
        timer = nil
    }

    private func arm(_ timeout: Duration, _ context: ChannelHandlerContext) {
        disarm()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) { channel.close(promise: nil) }
    }

    /// Sees raw bytes: the first byte of a request starts its header deadline.
    final class ByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        let deadlines: ReadDeadlines

        init(_ deadlines: ReadDeadlines) { self.deadlines = deadlines }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { deadlines.connected(context) }
        }

        func channelActive(context: ChannelHandlerContext) {
            deadlines.connected(context)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            deadlines.bytesArrived(context)
            context.fireChannelRead(data)
        }

        func channelInactive(context: ChannelHandlerContext) {
            deadlines.disarm()
            context.fireChannelInactive()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            deadlines.disarm()
        }
    }

    /// Sees decoded request parts and outgoing response parts.
    final class PartWatcher: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart
        /// The connection's deadlines, found on the `ByteWatcher` at the front of the same pipeline.
        private var deadlines: ReadDeadlines?

        func handlerAdded(context: ChannelHandlerContext) {
            deadlines = try? context.pipeline.syncOperations.handler(type: ByteWatcher.self).deadlines
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head: deadlines?.headArrived(context)
            case .body: break
            case .end: deadlines?.endArrived()
            }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) { deadlines?.responseSent(context) }
            context.write(data, promise: promise)
        }
    }
}

@available(*, unavailable)
extension ReadDeadlines: Sendable {}
