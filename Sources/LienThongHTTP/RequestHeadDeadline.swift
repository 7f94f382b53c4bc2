import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client does not send a whole request head in time: a client that
/// trickles its headers a byte at a time (slowloris) would otherwise hold a connection, and its
/// memory, for as long as it likes. Both servers (the hub's API and a node's local API) add it
/// after HTTP decoding, so it sees whole request heads.
///
/// - The first head must arrive within `first` of the connection opening (10 s by default).
/// - On a kept-alive connection, the next head must arrive within `between` of the previous
///   answer's end (120 s by default: longer than a long-poll's wait and a node's quiet spells, so a
///   node's idle connection is closed by the server only after two quiet minutes).
///
/// A request whose head has arrived is never cut by this handler, however long it takes (a
/// long-poll, a large push).
public final class RequestHeadDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    public static let defaultFirst: TimeAmount = .seconds(10)
    public static let defaultBetween: TimeAmount = .seconds(120)

    private let first: TimeAmount
    private let between: TimeAmount
    private var timer: Scheduled<Void>?
    private var armed = false

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

    public func handlerRemoved(context: ChannelHandlerContext) { disarm() }

    public func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { disarm() }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context, between) }
        context.write(data, promise: promise)
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
