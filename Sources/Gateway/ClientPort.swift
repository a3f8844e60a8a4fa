import GRPC
import HTTP2
import NIOCore
import NIOHTTP1

/// etcd's client port: gRPC over HTTP/2, and HTTP/1.1 (`/health`, `/version`, `/metrics`, the
/// JSON gateway) on the same socket, told apart by the first bytes each connection sends.
public enum ClientPort {
    /// Listens on `host:port` (0 asks for any port); returns the bound channel. HTTP/2
    /// connections go to `grpc`; HTTP/1.1 requests to `http1`, with bodies up to
    /// `maxHTTP1BodyBytes` (a longer one is answered 413 and its connection closed). With
    /// `jsonGateway`, requests under `/v3/` go to etcd's JSON gateway, which calls `grpc`.
    public static func start(
        group: EventLoopGroup, host: String, port: Int, grpc: GRPCServer,
        maxHTTP1BodyBytes: Int = 4 << 20, jsonGateway: Bool = false, http1: @escaping HTTP1Service
    ) -> EventLoopFuture<Channel> {
        let gateway = jsonGateway ? JSONGateway(group: group) : nil
        return Sockets.listen(on: group, host: host, port: port) { channel in
            try channel.pipeline.syncOperations.addHandler(ProtocolSelector(grpc: grpc, makeHTTP1Handlers: {
                let responder = HTTP1Responder(service: http1, maxBodyBytes: maxHTTP1BodyBytes)
                guard let gateway else { return [responder] }
                return [JSONGatewayHandler(gateway: gateway, maxBodyBytes: maxHTTP1BodyBytes), responder]
            }))
        }
        .map { channel in
            channel.closeFuture.whenComplete { _ in gateway?.close() }
            return channel
        }
    }
}

/// The first handler on a client-port connection. It holds the bytes read until they either
/// are the whole HTTP/2 connection preface (gRPC) or stop matching it (HTTP/1.1), installs
/// that protocol's handlers behind itself, hands them the bytes and leaves.
final class ProtocolSelector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let http2Preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private let grpc: GRPCServer
    private let makeHTTP1Handlers: () -> [ChannelHandler]
    private var received: ByteBuffer?

    init(grpc: GRPCServer, makeHTTP1Handlers: @escaping () -> [ChannelHandler]) {
        self.grpc = grpc
        self.makeHTTP1Handlers = makeHTTP1Handlers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var earlier = received.take() {
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        let compared = min(bytes.readableBytes, Self.http2Preface.count)
        let isHTTP2 = bytes.readableBytesView.prefix(compared).elementsEqual(Self.http2Preface.prefix(compared))
        if isHTTP2, compared < Self.http2Preface.count {
            received = bytes
            return
        }
        do {
            let pipeline = context.pipeline.syncOperations
            if isHTTP2 {
                try pipeline.addHandler(grpc.connectionHandler())
            } else {
                // Every answer frames its own body (the gateway's as Go's net/http spells it).
                var encoder = HTTPResponseEncoder.Configuration()
                encoder.automaticallySetFramingHeaders = false
                try pipeline.configureHTTPServerPipeline(withErrorHandling: true, withEncoderConfiguration: encoder)
                try pipeline.addHandlers(makeHTTP1Handlers())
            }
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
