import HTTP2
import NIOCore
import Wire

/// One call from a `GRPCClient`: request messages go out with `send`, `closeSend` ends them,
/// `cancel` gives up. Its methods may be called from any thread (work hops to the
/// connection's event loop, in the order they were called); after the call has finished they
/// do nothing.
public final class GRPCClientCall: @unchecked Sendable {
    /// The method called: `/package.Service/Method`.
    public let path: String
    let timeout: TimeAmount?
    let metadata: [HTTP2Header]
    private let client: GRPCClient

    // Touched only on the event loop.
    private var onMessage: (@Sendable ([UInt8]) -> Void)?
    private var onFinish: (@Sendable (GRPCStatus) -> Void)?
    private var stream: Int32?
    private var decoder: GRPCFraming.Decoder
    private var responseStarted = false
    private var sendClosed = false
    /// How the call ended; set once.
    private var status: GRPCStatus?
    private var deadline: Scheduled<Void>?

    init(client: GRPCClient, path: String, timeout: TimeAmount?, metadata: [HTTP2Header]) {
        self.client = client
        self.path = path
        self.timeout = timeout
        self.metadata = metadata
        decoder = GRPCFraming.Decoder(limit: client.maxMessageBytes)
    }

    /// Opens the stream. A call cancelled before it started reports its status right away.
    func start(onMessage: @escaping @Sendable ([UInt8]) -> Void, onFinish: @escaping @Sendable (GRPCStatus) -> Void) {
        client.eventLoop.execute { [self] in
            self.onMessage = onMessage
            self.onFinish = onFinish
            guard status == nil else { return report() }
            do throws(GRPCStatus) { stream = try client.open(self) } catch { return finish(error, resetting: false) }
            if let timeout {
                deadline = client.eventLoop.scheduleTask(in: timeout) { [self] in finish(.deadlineExceeded(), resetting: true) }
            }
            client.connection.flush()
        }
    }

    /// Sends one request message.
    public func send(_ message: [UInt8]) {
        client.eventLoop.execute { [self] in
            guard status == nil, !sendClosed, let stream else { return }
            try? client.connection.session.send(stream: stream, GRPCFraming.frame(message))
            client.connection.flush()
        }
    }

    /// Ends the request: the server sees the end of the client's messages.
    public func closeSend() {
        client.eventLoop.execute { [self] in
            guard status == nil, !sendClosed, let stream else { return }
            sendClosed = true
            try? client.connection.session.send(stream: stream, [], endStream: true)
            client.connection.flush()
        }
    }

    /// Gives up on the call: the stream is reset and the call ends with CANCELLED (1).
    public func cancel() {
        client.eventLoop.execute { [self] in finish(.cancelled(), resetting: true) }
    }

    // MARK: What the server sent (on the event loop)

    func received(headers: [HTTP2Header], endStream: Bool) {
        guard status == nil else { return }
        if !responseStarted {
            responseStarted = true
            guard headers[":status"] == "200" else {
                return finish(GRPCStatus(httpStatus: headers[":status"]), resetting: !endStream)
            }
            let trailersOnly = headers["grpc-status"] != nil
            guard trailersOnly || headers["content-type"]?.hasPrefix("application/grpc") == true else {
                let contentType = headers["content-type"] ?? "(none)"
                return finish(GRPCStatus(code: .unknown, message: "grpc: unexpected content-type \(contentType) from the server"), resetting: !endStream)
            }
            guard trailersOnly || endStream else { return }
        }
        var status = GRPCStatus(trailers: headers)
        if status.code == .ok, !decoder.isEmpty {
            status = .internalError("grpc: the response ended inside a message")
        }
        // The server is done; stop sending what it will not read.
        finish(status, resetting: !endStream || stillSending)
    }

    func received(_ bytes: [UInt8]) {
        guard status == nil else { return }
        decoder.feed(bytes)
        do throws(GRPCStatus) {
            while let message = try decoder.next() { onMessage?(message) }
        } catch {
            finish(error, resetting: true)
        }
    }

    func receivedEndStream() {
        finish(.internalError("grpc: the server closed the stream without sending trailers"), resetting: stillSending)
    }

    /// Whether request bytes are still to go out on the stream.
    private var stillSending: Bool {
        guard let stream else { return false }
        return !sendClosed || client.connection.session.pendingBytes(stream: stream) > 0
    }

    func streamClosed(errorCode: UInt32) {
        finish(GRPCStatus(resetCode: errorCode), resetting: false)
    }

    /// Ends the call with `status` unless it has ended; `resetting` resets its stream.
    func finish(_ status: GRPCStatus, resetting: Bool) {
        guard self.status == nil else { return }
        self.status = status
        deadline?.cancel()
        if let stream {
            client.forget(stream)
            if resetting {
                client.connection.session.reset(stream: stream)
                client.connection.flush()
            }
        }
        report()
    }

    /// Tells `onFinish` how the call ended, once it is there to be told.
    private func report() {
        guard let onFinish, let status else { return }
        self.onFinish = nil
        onMessage = nil
        onFinish(status)
    }
}
