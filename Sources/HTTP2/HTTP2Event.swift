/// One header field of a request or response.
public struct HTTP2Header: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == HTTP2Header {
    /// The first value of a header (names compare case-insensitively).
    public subscript(name: String) -> String? {
        first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// What a session reports after it read bytes from its peer.
public enum HTTP2Event: Equatable, Sendable {
    /// A request (on a server) or response (on a client) header block; `endStream` when no
    /// body follows.
    case headers(stream: Int32, headers: [HTTP2Header], endStream: Bool)
    /// A chunk of a body. Give it back with `consume` once processed: the peer may send more
    /// only as far as consumed data reopens the flow-control window.
    case data(stream: Int32, bytes: [UInt8])
    /// The peer finished its side of the stream.
    case endStream(stream: Int32)
    /// The stream is closed on both sides, or was reset (`errorCode` non-zero).
    case streamClosed(stream: Int32, errorCode: UInt32)
    /// The peer is shutting the connection down; streams above `lastStream` were not handled.
    case goAway(lastStream: Int32, errorCode: UInt32)
    /// The answer to a `ping` this side sent.
    case pingAck
    /// The connection under the session closed: every stream on it is gone.
    case connectionClosed
}

/// Why a session could not go on.
public enum HTTP2Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// nghttp2 refused the peer's bytes (not HTTP/2, a protocol violation, ...).
    case protocolError(String)
    /// A request or response could not be submitted.
    case submitFailed(String)
    /// The stream is unknown or already finished on this side.
    case noSuchStream(Int32)

    public var description: String {
        switch self {
        case .protocolError(let reason): "HTTP/2 protocol error: \(reason)"
        case .submitFailed(let reason): "HTTP/2 submit failed: \(reason)"
        case .noSuchStream(let stream): "HTTP/2 stream \(stream) is not open for sending"
        }
    }
}
