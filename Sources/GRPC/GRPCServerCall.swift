import HTTP2
import NIOCore
import Wire

/// One call on the server: the method's handler reads its messages through `onMessage` and
/// `onEnd` and answers with `send` and `finish`, from any thread (work hops to the
/// connection's event loop).
public final class GRPCServerCall: @unchecked Sendable {
    public let method: String
    public let headers: [HTTP2Header]
    /// Called with each request message, on the event loop.
    public var onMessage: (([UInt8]) -> Void)?
    /// Called when the client has sent its last message, on the event loop.
    public var onEnd: (() -> Void)?
    /// Called when the call ends for any reason (client cancel, connection loss, finish).
    public var onClose: (() -> Void)?

    let handler: HTTP2ConnectionHandler
    let stream: Int32
    let eventLoop: EventLoop
    private var respondedHeaders = false
    private(set) var finished = false

    init(method: String, headers: [HTTP2Header], handler: HTTP2ConnectionHandler, stream: Int32, eventLoop: EventLoop) {
        self.method = method
        self.headers = headers
        self.handler = handler
        self.stream = stream
        self.eventLoop = eventLoop
    }

    static let responseHeaders = [HTTP2Header(":status", "200"), HTTP2Header("content-type", "application/grpc")]

    /// Sends one response message.
    public func send(_ message: [UInt8]) {
        eventLoop.execute { [self] in
            queue(message)
            handler.flushSoon()
        }
    }

    /// Ends the call with `status` (trailers; trailers only when nothing was sent).
    public func finish(_ status: GRPCStatus) {
        eventLoop.execute { [self] in
            end(status)
            handler.flushSoon()
        }
    }

    /// Sends one response message and ends the call with OK: a unary call's answer, in one
    /// hop to the event loop.
    public func answer(_ message: [UInt8]) {
        eventLoop.execute { [self] in
            queue(message)
            end(.ok)
            handler.flushSoon()
        }
    }

    private func queue(_ message: [UInt8]) {
        guard !finished else { return }
        if !respondedHeaders {
            respondedHeaders = true
            try? handler.session.respond(stream: stream, Self.responseHeaders, endStream: false)
        }
        try? handler.session.send(stream: stream, GRPCFraming.frame(message))
    }

    private func end(_ status: GRPCStatus) {
        guard !finished else { return }
        finished = true
        let trailers = [HTTP2Header("grpc-status", String(status.code.rawValue)), HTTP2Header("grpc-message", status.encodedMessage)]
        if respondedHeaders {
            try? handler.session.finish(stream: stream, trailers: trailers)
        } else {
            try? handler.session.respond(stream: stream, Self.responseHeaders + trailers, endStream: true)
        }
    }

    /// Bytes queued to the client and not yet sent: a streaming handler paces itself by it.
    /// Writes what the connection takes first (sends flush soon, not at once), so what
    /// remains is what the client has not made room for.
    public var pendingBytes: EventLoopFuture<Int> {
        eventLoop.submit { [self] in
            handler.flush()
            return handler.session.pendingBytes(stream: stream)
        }
    }

    func closed() {
        finished = true
        onClose?()
        onMessage = nil
        onEnd = nil
        onClose = nil
    }
}
