import HTTP2

/// An HTTP/2 session and the way out for what it queues. The protocol cores answer and send
/// on `session`, then `flush`; the shell's NIO handler is one, a test's in-memory session
/// another, so the cores run without sockets.
protocol HTTP2Connection: AnyObject {
    var session: HTTP2Session { get }
    /// Writes what the session has queued.
    func flush()
    /// Announces shutdown and closes once the GOAWAY is written.
    func shutdown()
}

extension HTTP2ConnectionHandler: HTTP2Connection {}
