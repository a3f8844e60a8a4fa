import Foundation
import HTTP2
import NIOCore
import Wire

/// A method's implementation: it gets the call as soon as the request headers arrive.
public typealias GRPCMethod = @Sendable (GRPCServerCall) -> Void

/// gRPC over Ferry's HTTP/2 engine: routes calls by `:path` (`/package.Service/Method`) to
/// methods, frames messages, ends calls with `grpc-status` trailers. Connections may live on
/// different event loops: each keeps its calls in a `GRPCServerConnection` of its own.
public final class GRPCServer: Sendable {
    let methods: [String: GRPCMethod]
    public let maxMessageBytes: Int
    /// Pings each client to drop dead connections (etcd: every 2 h, 20 s to answer).
    public let keepAlive: HTTP2ConnectionHandler.KeepAlive?

    public init(methods: [String: GRPCMethod], maxMessageBytes: Int = 2 << 20, keepAlive: HTTP2ConnectionHandler.KeepAlive? = nil) {
        self.methods = methods
        self.maxMessageBytes = maxMessageBytes
        self.keepAlive = keepAlive
    }

    /// A handler serving gRPC on one connection (put it in a channel's pipeline).
    public func connectionHandler() -> HTTP2ConnectionHandler {
        let connection = GRPCServerConnection(methods: methods, maxMessageBytes: maxMessageBytes)
        return HTTP2ConnectionHandler(role: .server, keepAlive: keepAlive) { handler, event in connection.handle(handler, event) }
    }

    /// Listens on `host:port`; returns the bound channel.
    public func start(group: EventLoopGroup, host: String, port: Int) -> EventLoopFuture<Channel> {
        Sockets.listen(on: group, host: host, port: port) { [self] channel in
            try channel.pipeline.syncOperations.addHandler(connectionHandler())
        }
    }
}

/// The calls open on one connection, touched only on that connection's event loop.
final class GRPCServerConnection: @unchecked Sendable {
    let methods: [String: GRPCMethod]
    let maxMessageBytes: Int
    private var calls: [Int32: (call: GRPCServerCall, decoder: GRPCFraming.Decoder)] = [:]

    init(methods: [String: GRPCMethod], maxMessageBytes: Int) {
        self.methods = methods
        self.maxMessageBytes = maxMessageBytes
    }

    func handle(_ handler: HTTP2ConnectionHandler, _ event: HTTP2Event) {
        switch event {
        case .headers(let stream, let headers, let endStream):
            guard calls[stream] == nil else { return }  // client trailers: nothing to do
            let path = headers[":path"] ?? ""
            let call = GRPCServerCall(method: path, headers: headers, handler: handler, stream: stream, eventLoop: handler.eventLoop!)
            guard let method = methods[path] else {
                call.finish(.unimplemented(path))
                return
            }
            calls[stream] = (call, GRPCFraming.Decoder(limit: maxMessageBytes))
            if let timeout = headers["grpc-timeout"].flatMap(GRPCTimeout.parse) {
                handler.eventLoop!.scheduleTask(in: timeout) { call.finish(.deadlineExceeded()) }
            }
            method(call)
            if endStream { call.onEnd?() }
        case .data(let stream, let bytes):
            handler.session.consume(stream: stream, count: bytes.count)
            // Taken out while it decodes, so that its buffer is not shared with the
            // dictionary's copy: feeding would copy all that is buffered, on every chunk.
            guard var entry = calls.removeValue(forKey: stream) else { return }
            entry.decoder.feed(bytes)
            var messages: [[UInt8]] = []
            var failure: GRPCStatus?
            do {
                while let message = try entry.decoder.next() { messages.append(message) }
            } catch {
                failure = error
            }
            calls[stream] = entry
            for message in messages { entry.call.onMessage?(message) }
            if let failure { entry.call.finish(failure) }
        case .endStream(let stream):
            guard let entry = calls[stream] else { return }
            if !entry.decoder.isEmpty { entry.call.finish(.internalError("grpc: request ended inside a message")) }
            entry.call.onEnd?()
        case .streamClosed(let stream, _):
            calls.removeValue(forKey: stream)?.call.closed()
        case .connectionClosed:
            let open = calls
            calls = [:]
            for entry in open.values { entry.call.closed() }
        default:
            break
        }
    }
}

extension GRPCServer {
    /// A unary method on Wire messages: decode the request, answer once.
    public static func unary<Request: WireMessage, Response: WireMessage>(
        _ body: @escaping @Sendable (Request, @escaping @Sendable (Result<Response, GRPCStatus>) -> Void) -> Void
    ) -> GRPCMethod {
        { call in
            nonisolated(unsafe) var request: Request?
            call.onMessage = { bytes in
                do throws(GRPCStatus) { request = try Request(grpcUnaryRequest: bytes) } catch { call.finish(error) }
            }
            call.onEnd = {
                guard let request else {
                    call.finish(GRPCStatus(code: .internal, message: "grpc: no request message"))
                    return
                }
                body(request) { result in
                    switch result {
                    case .success(let response):
                        call.answer(response.serializedBytes())
                    case .failure(let status):
                        call.finish(status)
                    }
                }
            }
        }
    }
}
