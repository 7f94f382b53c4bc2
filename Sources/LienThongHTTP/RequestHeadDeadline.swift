import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client does not send a request head in time: a client that trickles
/// its headers a byte at a time (slowloris) would otherwise hold a connection, and its memory, for
/// as long as it likes. Both servers (the hub's API and a node's local API) add it after HTTP
/// decoding, so it sees whole request heads.
///
/// - The first head must arrive within `first` of the connection opening (10 s by default).
/// - On a kept-alive connection, the next head must arrive within `between` of the previous
///   answer's last byte being sent (300 s by default). This is also how long the server keeps an
///   idle connection: well past libcurl's default limit for reusing one (`CURLOPT_MAXAGE_CONN`,
///   118 s in the libcurl documentation; not measured here), so that the node's client should drop
///   an idle connection before the server closes it.
///
/// So a client that trickles the head of its *first* request is cut off after 10 s; one that first
/// completes a request can take up to `between` over its next head (an accepted limit: this handler
/// sees decoded heads, not the bytes of a head in progress).
///
/// A request whose head has arrived is never cut by this handler, however long it takes (a
/// long-poll, a large push), and neither is one behind it on a pipelined connection.
public final class RequestHeadDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    public static let defaultFirst: TimeAmount = .seconds(10)
    public static let defaultBetween: TimeAmount = .seconds(300)

    private let first: TimeAmount
    private let between: TimeAmount
    private var timer: Scheduled<Void>?
    private var armed = false
    /// Heads read whose answer has not ended yet (more than one when pipelined).
    private var inProgress = 0
    private var active = true

    public init(first: TimeAmount = RequestHeadDeadline.defaultFirst, between: TimeAmount = RequestHeadDeadline.defaultBetween) {
        self.first = first
        self.between = between
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive, !armed { arm(context, first) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        if !armed { arm(context, first) }
        context.fireChannelActive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        active = false
        disarm()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        active = false
        disarm()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            inProgress += 1
            disarm()
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        inProgress = max(0, inProgress - 1)
        // The wait for the next head starts when this answer's last byte has been sent.
        let written = promise ?? context.eventLoop.makePromise(of: Void.self)
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        written.futureResult.whenSuccess {
            let (handler, context) = bound.value
            if handler.active, handler.inProgress == 0 { handler.arm(context, handler.between) }
        }
        context.write(data, promise: written)
    }

    private func arm(_ context: ChannelHandlerContext, _ delay: TimeAmount) {
        timer?.cancel()
        armed = true
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: delay) { bound.value.close(promise: nil) }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}
