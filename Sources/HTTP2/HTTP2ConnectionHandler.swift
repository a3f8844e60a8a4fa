import NIOCore

/// Runs an `HTTP2Session` on a NIO channel: bytes read go into the session, the session's
/// output is written out. Everything happens on the channel's event loop; `onEvent` sees
/// each event there and may answer through `session` and `flush()` directly.
///
/// Writing stops while the channel is not writable (a peer that does not read), so queued
/// body data stays in the session's per-stream buffers, which the sender paces by.
public final class HTTP2ConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// Liveness by PING: one every `interval`; no answer within `timeout` closes the
    /// connection (gRPC's keepalive, etcd's --grpc-keepalive-interval/-timeout).
    public struct KeepAlive: Sendable {
        public var interval: TimeAmount
        public var timeout: TimeAmount

        public init(interval: TimeAmount, timeout: TimeAmount) {
            self.interval = interval
            self.timeout = timeout
        }
    }

    public let session: HTTP2Session
    private let onEvent: (HTTP2ConnectionHandler, HTTP2Event) -> Void
    private let onError: (HTTP2ConnectionHandler, HTTP2Error) -> Void
    private let keepAlive: KeepAlive?
    private var context: ChannelHandlerContext?
    private var pinger: RepeatedTask?
    /// The PING in flight, if any: an ack clears it, its timeout closes the connection.
    private var pingInFlight: Scheduled<Void>?
    /// Keepalive PINGs the peer has answered on this connection (read on its event loop).
    public private(set) var pingsAnswered = 0
    private var flushScheduled = false

    public init(
        role: HTTP2Session.Role, settings: HTTP2Session.Settings = .init(), keepAlive: KeepAlive? = nil,
        onError: @escaping (HTTP2ConnectionHandler, HTTP2Error) -> Void = { _, _ in },
        onEvent: @escaping (HTTP2ConnectionHandler, HTTP2Event) -> Void
    ) {
        session = HTTP2Session(role: role, settings: settings)
        self.keepAlive = keepAlive
        self.onEvent = onEvent
        self.onError = onError
    }

    public var channel: Channel? { context?.channel }

    public var eventLoop: EventLoop? { context?.eventLoop }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            flush()
            startPinging(context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        stopPinging()
        self.context = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        flush()
        startPinging(context)
        context.fireChannelActive()
    }

    private func startPinging(_ context: ChannelHandlerContext) {
        guard let keepAlive, pinger == nil else { return }
        let channel = context.channel
        pinger = context.eventLoop.scheduleRepeatedTask(initialDelay: keepAlive.interval, delay: keepAlive.interval) { [weak self] _ in
            guard let self, pingInFlight == nil else { return }
            session.ping()
            flush()
            pingInFlight = channel.eventLoop.scheduleTask(in: keepAlive.timeout) { channel.close(promise: nil) }
        }
    }

    private func stopPinging() {
        pinger?.cancel()
        pinger = nil
        pingInFlight?.cancel()
        pingInFlight = nil
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let events: [HTTP2Event]
        do {
            events = try buffer.withUnsafeReadableBytes { raw throws(HTTP2Error) in try session.receive(raw) }
        } catch {
            onError(self, error)
            session.goAway(errorCode: 1)
            flush()
            context.close(promise: nil)
            return
        }
        for event in events {
            if case .pingAck = event {
                pingInFlight?.cancel()
                pingInFlight = nil
                pingsAnswered += 1
            }
            onEvent(self, event)
        }
        flush()
        // nghttp2 ends a session itself on a protocol error (after queueing its GOAWAY):
        // close the connection once that is written instead of holding it open.
        if !session.isActive { closeAfterWrites(context) }
    }

    private func closeAfterWrites(_ context: ChannelHandlerContext) {
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: written)
        let channel = context.channel
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        stopPinging()
        onEvent(self, .connectionClosed)
        context.fireChannelInactive()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { flush() }
        context.fireChannelWritabilityChanged()
    }

    /// Writes what the session has to send, while the channel accepts writes.
    public func flush() {
        guard let context, context.channel.isActive else { return }
        let allocator = context.channel.allocator
        var wrote = false
        while context.channel.isWritable {
            // Sized by what there is: most writes are a few small frames, and a buffer of
            // 64 KiB or more per write makes malloc consolidate its free lists on each free.
            var buffer: ByteBuffer?
            let count = session.output(into: &buffer, limit: 256 * 1024) { buffer, bytes in
                if buffer == nil { buffer = allocator.buffer(capacity: max(bytes.count, 4096)) }
                buffer!.writeBytes(bytes)
            }
            guard count > 0, let buffer else { break }
            context.write(wrapOutboundOut(buffer), promise: nil)
            wrote = true
        }
        if wrote { context.flush() }
    }

    /// `flush()` after the tasks already queued on the event loop have run: answers that
    /// several of them produce go out in one write rather than one write each. On the loop.
    public func flushSoon() {
        guard !flushScheduled, let eventLoop else { return }
        flushScheduled = true
        eventLoop.execute { [self] in
            flushScheduled = false
            flush()
        }
    }

    /// Announces shutdown and closes once the GOAWAY is written.
    public func shutdown() {
        session.goAway()
        flush()
        context?.close(promise: nil)
    }
}
