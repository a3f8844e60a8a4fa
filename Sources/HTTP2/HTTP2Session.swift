import CNghttp2

/// An HTTP/2 endpoint, client or server, that runs nghttp2 on plain bytes: hand it what the
/// peer sent (`receive`), take what to send (`output`). It does no I/O of its own, so the
/// same code serves a socket, a test that connects two sessions in memory, or a tool that
/// replays recorded traffic.
///
/// Bodies stream both ways. Outgoing data waits in a per-stream buffer until nghttp2 may
/// send it under the peer's flow-control window; incoming data opens this side's window only
/// when the application `consume`s it, so a slow reader slows the writer.
public final class HTTP2Session {
    public enum Role: Sendable { case client, server }

    public struct Settings: Sendable {
        /// Per-stream receive window.
        public var initialWindowSize: Int32 = 4 << 20
        /// Connection receive window.
        public var connectionWindowSize: Int32 = 32 << 20
        public var maxConcurrentStreams: UInt32 = 1000
        public init() {}
    }

    public let role: Role
    private var session: OpaquePointer?
    private var events: [HTTP2Event] = []
    private var outbound: [Int32: OutboundStream] = [:]
    private var failure: String?

    final class OutboundStream {
        var buffer: [UInt8] = []
        var readOffset = 0
        var finished = false
        /// Sent as a HEADERS frame ending the stream once the body is out (gRPC's status).
        var trailers: [HTTP2Header]?
        var pending: Int { buffer.count - readOffset }
    }

    public init(role: Role, settings: Settings = Settings()) {
        self.role = role
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, user in
            HTTP2Session.from(user).frameReceived(frame!.pointee)
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, stream, data, length, user in
            HTTP2Session.from(user).events.append(.data(stream: stream, bytes: Array(UnsafeBufferPointer(start: data, count: length))))
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, stream, code, user in
            let me = HTTP2Session.from(user)
            me.outbound[stream] = nil
            me.events.append(.streamClosed(stream: stream, errorCode: code))
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, user in
            let me = HTTP2Session.from(user)
            let header = HTTP2Header(
                String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self),
                String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self))
            me.headerBlocks[frame!.pointee.hd.stream_id, default: []].append(header)
            return 0
        }
        var options: OpaquePointer?
        nghttp2_option_new(&options)
        defer { nghttp2_option_del(options) }
        // The application opens the window as it consumes: backpressure.
        nghttp2_option_set_no_auto_window_update(options, 1)
        // A server takes any :authority, as Go's does: etcdctl's --cluster calls send a whole
        // URL there, which nghttp2's HTTP checks would answer with a stream reset.
        if role == .server { nghttp2_option_set_no_http_messaging(options, 1) }
        let user = Unmanaged.passUnretained(self).toOpaque()
        if role == .server {
            nghttp2_session_server_new2(&session, callbacks, user, options)
        } else {
            nghttp2_session_client_new2(&session, callbacks, user, options)
        }
        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(settings.initialWindowSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: settings.maxConcurrentStreams),
        ]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, settings.connectionWindowSize)
    }

    deinit { nghttp2_session_del(session) }

    private var headerBlocks: [Int32: [HTTP2Header]] = [:]

    private static func from(_ user: UnsafeMutableRawPointer?) -> HTTP2Session {
        Unmanaged<HTTP2Session>.fromOpaque(user!).takeUnretainedValue()
    }

    private func frameReceived(_ frame: nghttp2_frame) {
        let stream = frame.hd.stream_id
        let endStream = frame.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch Int(frame.hd.type) {
        case Int(NGHTTP2_HEADERS.rawValue):
            events.append(.headers(stream: stream, headers: headerBlocks.removeValue(forKey: stream) ?? [], endStream: endStream))
        case Int(NGHTTP2_DATA.rawValue):
            if endStream { events.append(.endStream(stream: stream)) }
        case Int(NGHTTP2_GOAWAY.rawValue):
            events.append(.goAway(lastStream: frame.goaway.last_stream_id, errorCode: frame.goaway.error_code))
        case Int(NGHTTP2_PING.rawValue):
            if frame.hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 { events.append(.pingAck) }
        default:
            break
        }
    }

    /// Feeds bytes the peer sent; returns what they meant. Throws when they are not valid
    /// HTTP/2 (the session then only has a GOAWAY left to send).
    public func receive(_ bytes: UnsafeRawBufferPointer) throws(HTTP2Error) -> [HTTP2Event] {
        guard !bytes.isEmpty else { return takeEvents() }
        let result = nghttp2_session_mem_recv(session, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
        if result < 0 {
            throw .protocolError(String(cString: nghttp2_strerror(Int32(result))))
        }
        return takeEvents()
    }

    public func receive(_ bytes: [UInt8]) throws(HTTP2Error) -> [HTTP2Event] {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(HTTP2Error) in try receive(raw) } }
        return try result.get()
    }

    private func takeEvents() -> [HTTP2Event] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    /// Everything nghttp2 has to send now (frames, window updates, buffered body data the
    /// peer's window allows), at most `limit` bytes.
    public func output(limit: Int = .max) -> [UInt8] {
        var out: [UInt8] = []
        while out.count < limit {
            var chunk: UnsafePointer<UInt8>?
            let length = nghttp2_session_mem_send(session, &chunk)
            if length <= 0 { break }
            out.append(contentsOf: UnsafeBufferPointer(start: chunk, count: length))
        }
        return out
    }

    /// Like `output(limit:)`, appending to `buffer` (a ByteBuffer, say) without a copy in
    /// between. Returns the bytes written.
    public func output<Buffer>(into buffer: inout Buffer, limit: Int, append: (inout Buffer, UnsafeRawBufferPointer) -> Void) -> Int {
        var written = 0
        while written < limit {
            var chunk: UnsafePointer<UInt8>?
            let length = nghttp2_session_mem_send(session, &chunk)
            if length <= 0 { break }
            append(&buffer, UnsafeRawBufferPointer(start: chunk, count: length))
            written += length
        }
        return written
    }

    /// Whether the session still wants to read or has something to write.
    public var isActive: Bool {
        nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0
    }

    /// Starts a request (client). With `endStream` false, the body follows through `send`.
    public func request(_ headers: [HTTP2Header], endStream: Bool) throws(HTTP2Error) -> Int32 {
        let body = endStream ? nil : OutboundStream()
        let stream = withNameValues(headers) { nva, count in
            withDataProvider(body) { provider in
                nghttp2_submit_request(session, nil, nva, count, provider, nil)
            }
        }
        guard stream > 0 else { throw .submitFailed(String(cString: nghttp2_strerror(stream))) }
        if let body { outbound[stream] = body }
        return stream
    }

    /// Answers a request (server). With `endStream` false, the body follows through `send`.
    public func respond(stream: Int32, _ headers: [HTTP2Header], endStream: Bool) throws(HTTP2Error) {
        let body = endStream ? nil : OutboundStream()
        let result = withNameValues(headers) { nva, count in
            withDataProvider(body) { provider in
                nghttp2_submit_response(session, stream, nva, count, provider)
            }
        }
        guard result == 0 else { throw .submitFailed(String(cString: nghttp2_strerror(result))) }
        if let body { outbound[stream] = body }
    }

    /// Queues body bytes on a stream this side opened with a body; `endStream` finishes it.
    public func send(stream: Int32, _ bytes: [UInt8], endStream: Bool = false) throws(HTTP2Error) {
        guard let body = outbound[stream], !body.finished else { throw .noSuchStream(stream) }
        body.buffer.append(contentsOf: bytes)
        body.finished = endStream
        nghttp2_session_resume_data(session, stream)
    }

    /// Finishes a stream this side opened with a body: the queued body goes out, then
    /// `trailers` as a last header block ending the stream.
    public func finish(stream: Int32, trailers: [HTTP2Header]) throws(HTTP2Error) {
        guard let body = outbound[stream], !body.finished else { throw .noSuchStream(stream) }
        body.trailers = trailers
        body.finished = true
        nghttp2_session_resume_data(session, stream)
    }

    /// Body bytes queued on a stream and not yet sent: what a writer paces itself by.
    public func pendingBytes(stream: Int32) -> Int { outbound[stream]?.pending ?? 0 }

    /// Gives back `count` received body bytes, reopening the flow-control windows.
    public func consume(stream: Int32, count: Int) {
        nghttp2_session_consume(session, stream, count)
    }

    /// Resets a stream (RST_STREAM with CANCEL).
    public func reset(stream: Int32) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream, NGHTTP2_CANCEL.rawValue)
        outbound[stream] = nil
    }

    /// Sends a PING; its acknowledgement arrives as `.pingAck`.
    public func ping() {
        nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
    }

    /// Announces shutdown: GOAWAY with the last stream this side accepted.
    public func goAway(errorCode: UInt32 = NGHTTP2_NO_ERROR.rawValue) {
        let last = nghttp2_session_get_last_proc_stream_id(session)
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, errorCode, nil, 0)
    }

    private func submitTrailers(_ stream: Int32, _ trailers: [HTTP2Header]) {
        _ = withNameValues(trailers) { nva, count in nghttp2_submit_trailer(session, stream, nva, count) }
    }

    private func withNameValues<R>(_ headers: [HTTP2Header], _ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        var storage: [[UInt8]] = []
        for header in headers {
            storage.append(Array(header.name.lowercased().utf8))
            storage.append(Array(header.value.utf8))
        }
        // nghttp2 copies names and values (no NO_COPY flags), so the buffers may go after.
        let pointers = storage.map { bytes -> UnsafeMutablePointer<UInt8> in
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            p.initialize(from: bytes, count: bytes.count)
            return p
        }
        defer { pointers.forEach { $0.deallocate() } }
        let nva = (0..<headers.count).map { i in
            nghttp2_nv(name: pointers[2 * i], value: pointers[2 * i + 1], namelen: storage[2 * i].count,
                       valuelen: storage[2 * i + 1].count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
        }
        return nva.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
    }

    private func withDataProvider<R>(_ body: OutboundStream?, _ submit: (UnsafePointer<nghttp2_data_provider>?) -> R) -> R {
        guard body != nil else { return submit(nil) }
        var provider = nghttp2_data_provider()
        provider.read_callback = { _, stream, buffer, length, flags, _, user in
            let me = HTTP2Session.from(user)
            guard let out = me.outbound[stream] else {
                flags!.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue)
                return 0
            }
            let count = min(length, out.pending)
            if count == 0 && !out.finished { return Int(NGHTTP2_ERR_DEFERRED.rawValue) }
            out.buffer.withUnsafeBufferPointer { source in
                buffer!.update(from: source.baseAddress! + out.readOffset, count: count)
            }
            out.readOffset += count
            if out.readOffset == out.buffer.count {
                out.buffer.removeAll(keepingCapacity: true)
                out.readOffset = 0
            } else if out.readOffset > 1 << 20 {
                out.buffer.removeSubrange(0..<out.readOffset)
                out.readOffset = 0
            }
            if out.finished && out.pending == 0 {
                flags!.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue)
                if let trailers = out.trailers {
                    flags!.pointee |= UInt32(NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue)
                    me.submitTrailers(stream, trailers)
                }
            }
            return count
        }
        return submit(&provider)
    }
}
