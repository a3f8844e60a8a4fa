import GRPC
import HTTP2
import NIOCore
import NIOHTTP1
import Wire

/// The JSON gateway on one HTTP/1.1 connection of the client port: it answers the requests
/// under `/v3/` (and `/v3beta/`, which etcd 3.4 still maps there) and passes every other one
/// to the next handler. NIO's pipelining handler in front hands it one request at a time.
final class JSONGatewayHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let gateway: JSONGateway
    private let maxBodyBytes: Int
    private var state = State.idle

    private enum State {
        case idle
        /// A request for the next handler, until its end.
        case passing
        /// A request answered once its body is in (OPTIONS, an unknown path, a wrong method).
        case answering(HTTPRequestHead, HTTPResponseStatus, headers: [(String, String)], body: String)
        case calling(JSONGatewayExchange)
    }

    init(gateway: JSONGateway, maxBodyBytes: Int) {
        self.gateway = gateway
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), _):
            guard let path = Self.gatewayPath(head.uri) else {
                state = .passing
                return context.fireChannelRead(data)
            }
            if head.method == .OPTIONS {
                state = .answering(head, .ok, headers: [], body: "")
            } else if let route = JSONGatewayRoute.all[path] {
                if head.method == .POST {
                    state = .calling(JSONGatewayExchange(request: head, route: route))
                } else {
                    let (headers, body) = GatewayHTTP.plainText("Method Not Allowed")
                    state = .answering(head, .methodNotAllowed, headers: headers, body: body)
                }
            } else {
                let (headers, body) = GatewayHTTP.plainText("Not Found")
                state = .answering(head, .notFound, headers: headers, body: body)
            }
        case (.body, .passing), (.end, .passing):
            if case .end = unwrapInboundIn(data) { state = .idle }
            context.fireChannelRead(data)
        case (.body(let bytes), .calling(let exchange)):
            received(bytes, for: exchange, context: context)
        case (.end, .answering(let head, let status, let headers, let body)):
            state = .idle
            respond(context, to: head, status, headers: headers, body: body)
        case (.end, .calling(let exchange)):
            exchange.requestEnded = true
            if !exchange.responseEnded { endOfBody(exchange, context: context) }
            if exchange.responseEnded { state = .idle }
        case (.body, _), (.end, _):
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .calling(let exchange) = state {
            exchange.responseEnded = true
            exchange.call?.cancel()
        }
        state = .idle
        context.fireChannelInactive()
    }

    /// The path the gateway serves `uri` under, nil for one it does not serve.
    static func gatewayPath(_ uri: String) -> String? {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        if path.hasPrefix("/v3beta/") { return "/v3/" + path.dropFirst("/v3beta/".count) }
        return path.hasPrefix("/v3/") ? path : nil
    }

    // MARK: The request

    private func received(_ bytes: ByteBuffer, for exchange: JSONGatewayExchange, context: ChannelHandlerContext) {
        guard !exchange.responseEnded, !exchange.ignoringBody else { return }
        exchange.body.append(bytes.readableBytesView)
        guard exchange.body.pendingCount <= maxBodyBytes else {
            exchange.responseEnded = true
            exchange.call?.cancel()
            let text = "request body larger than \(maxBodyBytes) bytes\n"
            return respond(context, to: exchange.request, .payloadTooLarge, headers: [("Content-Type", "text/plain; charset=utf-8")],
                           body: text, closing: true)
        }
        if exchange.route.streamsRequests { sendRequests(exchange, ended: false, context: context) }
    }

    private func endOfBody(_ exchange: JSONGatewayExchange, context: ChannelHandlerContext) {
        guard exchange.route.streamsRequests else {
            // As the gateway's decoder: the first value is the request (none: an empty one).
            let request: [UInt8]
            do throws(JSONGatewayExchange.BadRequest) {
                request = try exchange.encode(try exchange.nextValue(ended: true) ?? .object([]))
            } catch {
                return fail(exchange, context: context, code: .invalidArgument, message: error.message)
            }
            send(request, exchange, context: context)
            return closeSend(exchange)
        }
        if !exchange.ignoringBody { sendRequests(exchange, ended: true, context: context) }
        if exchange.route.closesSendAtBodyEnd { closeSend(exchange) }
    }

    /// Sends every whole request message the body holds so far. A value that is no request
    /// ends the requests: before the first one it fails the call (etcd's gateway answers its
    /// error as Unknown), after it the rest of the body is ignored.
    private func sendRequests(_ exchange: JSONGatewayExchange, ended: Bool, context: ChannelHandlerContext) {
        do throws(JSONGatewayExchange.BadRequest) {
            while let value = try exchange.nextValue(ended: ended) {
                send(try exchange.encode(value), exchange, context: context)
            }
        } catch {
            guard exchange.sentRequest else { return fail(exchange, context: context, code: .unknown, message: error.message) }
            exchange.ignoringBody = true
            if exchange.route.closesSendAtBodyEnd { closeSend(exchange) }
        }
    }

    private func send(_ request: [UInt8], _ exchange: JSONGatewayExchange, context: ChannelHandlerContext) {
        exchange.sentRequest = true
        if let call = exchange.call { return call.send(request) }
        exchange.queued.append(request)
        if !exchange.callStarted { startCall(exchange, context: context) }
    }

    private func closeSend(_ exchange: JSONGatewayExchange) {
        exchange.sendClosed = true
        exchange.call?.closeSend()
    }

    private func startCall(_ exchange: JSONGatewayExchange, context: ChannelHandlerContext) {
        exchange.callStarted = true
        guard let address = context.channel.localAddress else {
            return fail(exchange, context: context, code: .unavailable, message: "grpc: the client port has no local address")
        }
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context, exchange: exchange), eventLoop: loop)
        gateway.call(
            exchange.route.method, metadata: Self.metadata(exchange.request.headers), at: address,
            onMessage: { message in loop.execute { bound.value.handler.received(message: message, bound.value.exchange, context: bound.value.context) } },
            onFinish: { status in loop.execute { bound.value.handler.finished(status, bound.value.exchange, context: bound.value.context) } }
        ).hop(to: loop).assumeIsolated().whenSuccess { call in
            let exchange = bound.value.exchange
            guard !exchange.responseEnded else { return call.cancel() }
            exchange.call = call
            for request in exchange.queued { call.send(request) }
            exchange.queued = []
            if exchange.sendClosed { call.closeSend() }
        }
    }

    /// grpc-gateway's incoming metadata: `Authorization`, and `Grpc-Metadata-*` headers with
    /// the prefix taken off.
    static func metadata(_ headers: HTTPHeaders) -> [HTTP2Header] {
        headers.compactMap { name, value in
            let lower = name.lowercased()
            if lower == "authorization" { return HTTP2Header(lower, value) }
            guard lower.hasPrefix("grpc-metadata-"), lower.count > "grpc-metadata-".count else { return nil }
            return HTTP2Header(String(lower.dropFirst("grpc-metadata-".count)), value)
        }
    }

    // MARK: The response

    private func received(message: [UInt8], _ exchange: JSONGatewayExchange, context: ChannelHandlerContext) {
        guard !exchange.responseEnded else { return }
        guard exchange.route.streamsResponses else { return exchange.responses.append(message) }
        let json: JSONValue
        do throws(WireError) { json = try exchange.route.renderResponse(message) } catch {
            exchange.call?.cancel()
            return finished(.internalError("grpc: error unmarshalling the response: \(error)"), exchange, context: context)
        }
        startStream(exchange, .ok, headers: [GatewayHTTP.grpcHeaderMetadata], context: context)
        let line = GatewayJSON.text(.object([("result", json)])) + "\n"
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: line)))), promise: nil)
    }

    private func finished(_ status: GRPCStatus, _ exchange: JSONGatewayExchange, context: ChannelHandlerContext) {
        guard !exchange.responseEnded else { return }
        if exchange.route.streamsResponses {
            if status.code == .ok {
                startStream(exchange, .ok, headers: [GatewayHTTP.grpcHeaderMetadata], context: context)
            } else {
                startStream(exchange, GatewayHTTP.status(forGRPCCode: status.code), headers: [], context: context)
                let line = GatewayHTTP.streamErrorBody(code: status.code, message: status.message)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: line)))), promise: nil)
            }
            return end(exchange, trailers: nil, context: context)
        }
        var status = status
        if status.code == .ok {
            do throws(WireError) {
                guard exchange.responses.count == 1 else {
                    throw .invalidJSON(path: exchange.route.method, reason: "\(exchange.responses.count) response messages, not 1")
                }
                let body = GatewayJSON.text(try exchange.route.renderResponse(exchange.responses[0]))
                return respond(exchange, .ok, headers: [("Content-Type", "application/json"), GatewayHTTP.grpcHeaderMetadata],
                               body: body, context: context)
            } catch {
                status = .internalError("grpc: error unmarshalling the response: \(error)")
            }
        }
        // A gRPC error comes trailers-only: its metadata is the trailers' (a chunked body).
        let trailer = GatewayHTTP.grpcTrailerMetadata
        context.write(wrapOutboundOut(.head(GatewayHTTP.head(
            answering: exchange.request, GatewayHTTP.status(forGRPCCode: status.code),
            headers: [("Content-Type", "application/json"), ("Trailer", trailer.0)], contentLength: nil))), promise: nil)
        let body = GatewayHTTP.errorBody(code: status.code, message: status.message)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        end(exchange, trailers: exchange.request.version.minor >= 1 ? HTTPHeaders([trailer]) : nil, context: context)
    }

    /// Fails a call before anything was answered, as the gateway answers an error of its own.
    private func fail(_ exchange: JSONGatewayExchange, context: ChannelHandlerContext, code: StatusCode, message: String) {
        guard !exchange.responseEnded else { return }
        exchange.call?.cancel()
        respond(exchange, GatewayHTTP.status(forGRPCCode: code), headers: [("Content-Type", "application/json")],
                body: GatewayHTTP.errorBody(code: code, message: message), context: context)
    }

    private func startStream(_ exchange: JSONGatewayExchange, _ status: HTTPResponseStatus, headers: [(String, String)], context: ChannelHandlerContext) {
        guard !exchange.headWritten else { return }
        exchange.headWritten = true
        let head = GatewayHTTP.head(answering: exchange.request, status, headers: [("Content-Type", "application/json")] + headers, contentLength: nil)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
    }

    private func respond(_ exchange: JSONGatewayExchange, _ status: HTTPResponseStatus, headers: [(String, String)], body: String, context: ChannelHandlerContext) {
        exchange.responseEnded = true
        respond(context, to: exchange.request, status, headers: headers, body: body)
        if exchange.requestEnded { state = .idle }
    }

    private func end(_ exchange: JSONGatewayExchange, trailers: HTTPHeaders?, context: ChannelHandlerContext) {
        exchange.responseEnded = true
        exchange.call?.cancel()
        let written = context.writeAndFlush(wrapOutboundOut(.end(trailers)))
        if !exchange.request.isKeepAlive || exchange.request.version.minor == 0 {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
        if exchange.requestEnded { state = .idle }
    }

    /// A whole answer with its length.
    private func respond(
        _ context: ChannelHandlerContext, to request: HTTPRequestHead, _ status: HTTPResponseStatus,
        headers: [(String, String)], body: String, closing: Bool = false
    ) {
        let head = GatewayHTTP.head(answering: request, status, headers: headers, contentLength: body.utf8.count)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !body.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil) }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if closing || !request.isKeepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}

/// One gateway request and the call answering it. Touched on the connection's loop only.
final class JSONGatewayExchange {
    let request: HTTPRequestHead
    let route: JSONGatewayRoute
    var body = JSONValueStream()
    var requestEnded = false
    /// A value that was no request ended the requests; the rest of the body is not read.
    var ignoringBody = false
    var sentRequest = false
    var sendClosed = false
    var callStarted = false
    /// Requests waiting for the call to open.
    var queued: [[UInt8]] = []
    var call: GRPCClientCall?
    /// A unary call's response messages.
    var responses: [[UInt8]] = []
    var headWritten = false
    var responseEnded = false

    struct BadRequest: Error {
        let message: String
    }

    init(request: HTTPRequestHead, route: JSONGatewayRoute) {
        self.request = request
        self.route = route
    }

    func nextValue(ended: Bool) throws(BadRequest) -> JSONValue? {
        do throws(JSONValueStream.Failure) { return try body.next(ended: ended) } catch { throw BadRequest(message: error.message) }
    }

    /// The request message `value` describes (a JSON null is an empty one, as in jsonpb).
    func encode(_ value: JSONValue) throws(BadRequest) -> [UInt8] {
        // jsonpb first reads a message as a map of fields, with Go's words for the rest.
        let kind: String? = switch value {
        case .array: "array"
        case .number: "number"
        case .string: "string"
        case .bool: "bool"
        case .object, .null: nil
        }
        if let kind { throw BadRequest(message: "json: cannot unmarshal \(kind) into Go value of type map[string]json.RawMessage") }
        do throws(WireError) {
            return try route.encodeRequest(value == .null ? .object([]) : value)
        } catch {
            throw BadRequest(message: "\(error)")
        }
    }
}
