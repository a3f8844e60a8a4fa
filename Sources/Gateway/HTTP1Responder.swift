import NIOCore
import NIOHTTP1

/// What the client port's HTTP/1.1 side answers a request with.
public typealias HTTP1Response = (status: HTTPResponseStatus, contentType: String, body: String)

/// Answers one HTTP/1.1 request, given its head and whole body. The future may complete on
/// any event loop; a failed one is answered 500.
public typealias HTTP1Service = @Sendable (HTTPRequestHead, [UInt8]) -> EventLoopFuture<HTTP1Response>

/// Serves HTTP/1.1 requests through an `HTTP1Service`, one at a time (NIO's pipelining
/// handler holds back the next request until this one's answer is written). The connection
/// stays open when the request allows it, and closes after the answer otherwise.
final class HTTP1Responder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let service: HTTP1Service
    private let maxBodyBytes: Int
    private var request: HTTPRequestHead?
    private var body: [UInt8] = []

    init(service: @escaping HTTP1Service, maxBodyBytes: Int) {
        self.service = service
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
            body = []
        case .body(let bytes):
            guard let request else { return }
            guard body.count + bytes.readableBytes <= maxBodyBytes else {
                self.request = nil
                body = []
                let answer = (HTTPResponseStatus.payloadTooLarge, "text/plain; charset=utf-8", "request body larger than \(maxBodyBytes) bytes\n")
                return respond(context: context, to: request, with: answer, close: true)
            }
            body += bytes.readableBytesView
        case .end:
            guard let request else { return }
            self.request = nil
            let received = body
            body = []
            service(request, received).hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
                switch result {
                case .success(let answer):
                    self.respond(context: context, to: request, with: answer, close: !request.isKeepAlive)
                case .failure(let error):
                    self.respond(context: context, to: request, with: (.internalServerError, "text/plain; charset=utf-8", "\(error)\n"), close: true)
                }
            }
        }
    }

    /// Malformed requests are answered 400 by NIO's error handler in front; the connection
    /// then closes.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func respond(context: ChannelHandlerContext, to request: HTTPRequestHead, with answer: HTTP1Response, close: Bool) {
        let headers = HTTPHeaders([
            ("Content-Type", answer.contentType), ("Content-Length", String(answer.body.utf8.count)),
            ("Connection", close ? "close" : "keep-alive"),
        ])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: answer.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: answer.body)))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }
}
