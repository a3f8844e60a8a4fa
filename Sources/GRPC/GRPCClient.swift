import HTTP2
import NIOCore
import Wire

/// A gRPC client on one HTTP/2 connection (Ferry's own engine): every call is a stream on it,
/// as many at once as the server allows. Open with `connect`, end with `close`.
///
/// When the connection is lost, every open call ends with UNAVAILABLE (14), and so does every
/// call started afterwards: a client does not reconnect by itself.
public final class GRPCClient: @unchecked Sendable {
    /// `host:port`, sent as `:authority`.
    public let authority: String
    /// The connection's event loop: every call's callbacks run on it.
    public let eventLoop: EventLoop
    /// The largest response message a call accepts; a larger one ends it with
    /// RESOURCE_EXHAUSTED (8).
    public let maxMessageBytes: Int

    // Touched only on the event loop once connected.
    private(set) var connection: HTTP2ConnectionHandler!
    /// The open connection's channel; nil once it closed.
    private var channel: Channel?
    private var calls: [Int32: GRPCClientCall] = [:]
    /// Why no call can start any more: the connection closed or is going away.
    private var unavailable: GRPCStatus?
    private var protocolError: HTTP2Error?

    private init(authority: String, eventLoop: EventLoop, maxMessageBytes: Int, keepAlive: HTTP2ConnectionHandler.KeepAlive?) {
        self.authority = authority
        self.eventLoop = eventLoop
        self.maxMessageBytes = maxMessageBytes
        connection = HTTP2ConnectionHandler(
            role: .client, keepAlive: keepAlive,
            onError: { [weak self] _, error in self?.protocolError = error },
            onEvent: { [weak self] _, event in self?.handle(event) })
    }

    /// A client dropped without `close` does not leave its connection open.
    deinit { channel?.close(promise: nil) }

    /// Connects to a gRPC server. The future fails with UNAVAILABLE (14) when the connection
    /// cannot be made. With `keepAlive`, a server that stops answering PINGs is dropped and
    /// the open calls end with UNAVAILABLE.
    public static func connect(
        host: String, port: Int, group: EventLoopGroup, maxMessageBytes: Int = Int(Int32.max),
        keepAlive: HTTP2ConnectionHandler.KeepAlive? = nil
    ) -> EventLoopFuture<GRPCClient> {
        let eventLoop = group.next()
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let client = GRPCClient(authority: authority, eventLoop: eventLoop, maxMessageBytes: maxMessageBytes, keepAlive: keepAlive)
        return Sockets.connect(on: eventLoop, host: host, port: port) { channel in
            try channel.pipeline.syncOperations.addHandler(client.connection)
        }
        .flatMapErrorThrowing { error in throw GRPCStatus.unavailable("grpc: cannot connect to \(authority): \(error)") }
        .map { channel in
            client.channel = channel
            return client
        }
    }

    /// Starts a call of any kind (unary, streaming either way, or both). Request messages go
    /// out through the call's `send` and end with `closeSend`; `onMessage` gets each response
    /// message and `onFinish` the status, once, however the call ends. Both run on the event
    /// loop. `timeout` is sent as `grpc-timeout` and also ends the call here when it passes;
    /// `metadata` are extra request headers (an etcd auth `token`, say).
    public func makeCall(
        path: String, timeout: TimeAmount? = nil, metadata: [HTTP2Header] = [],
        onMessage: @escaping @Sendable ([UInt8]) -> Void, onFinish: @escaping @Sendable (GRPCStatus) -> Void
    ) -> GRPCClientCall {
        let call = GRPCClientCall(client: self, path: path, timeout: timeout, metadata: metadata)
        call.start(onMessage: onMessage, onFinish: onFinish)
        return call
    }

    /// Ends every open call with CANCELLED (1), says GOAWAY and closes the connection.
    public func close() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in
            let closing = GRPCStatus(code: .cancelled, message: "grpc: the client connection is closing")
            unavailable = unavailable ?? closing
            endAll(closing)
            guard let channel else { return eventLoop.makeSucceededVoidFuture() }
            self.channel = nil
            connection.shutdown()
            return channel.closeFuture
        }
    }

    /// Opens the stream of a call (on the event loop); the client routes its events to it
    /// until `forget`.
    func open(_ call: GRPCClientCall) throws(GRPCStatus) -> Int32 {
        if let unavailable { throw unavailable }
        var headers = [
            HTTP2Header(":method", "POST"), HTTP2Header(":scheme", "http"), HTTP2Header(":path", call.path),
            HTTP2Header(":authority", authority), HTTP2Header("content-type", "application/grpc"), HTTP2Header("te", "trailers"),
        ]
        if let timeout = call.timeout { headers.append(HTTP2Header("grpc-timeout", GRPCTimeout.encode(timeout))) }
        headers += call.metadata
        let stream: Int32
        do { stream = try connection.session.request(headers, endStream: false) } catch {
            throw .unavailable("grpc: cannot start a call on \(authority): \(error)")
        }
        calls[stream] = call
        return stream
    }

    func forget(_ stream: Int32) { calls[stream] = nil }

    private func handle(_ event: HTTP2Event) {
        switch event {
        case .headers(let stream, let headers, let endStream):
            calls[stream]?.received(headers: headers, endStream: endStream)
        case .data(let stream, let bytes):
            connection.session.consume(stream: stream, count: bytes.count)
            calls[stream]?.received(bytes)
        case .endStream(let stream):
            calls[stream]?.receivedEndStream()
        case .streamClosed(let stream, let errorCode):
            calls[stream]?.streamClosed(errorCode: errorCode)
        case .goAway(let lastStream, let errorCode):
            let goingAway = GRPCStatus.unavailable("grpc: \(authority) is going away (GOAWAY, HTTP/2 error code \(errorCode))")
            unavailable = unavailable ?? goingAway
            // Streams above `lastStream` were never seen by the server; the others go on.
            for (stream, call) in calls where stream > lastStream { call.finish(goingAway, resetting: false) }
        case .connectionClosed:
            let reason = protocolError.map { ": \($0)" } ?? ""
            let lost = GRPCStatus.unavailable("grpc: the connection to \(authority) closed\(reason)")
            unavailable = lost
            channel = nil
            endAll(lost)
        case .pingAck:
            break
        }
    }

    private func endAll(_ status: GRPCStatus) {
        for call in calls.values { call.finish(status, resetting: false) }
    }
}
