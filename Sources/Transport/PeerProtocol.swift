import HTTP2
import Wire

/// rafthttp's endpoints and headers as etcd 3.4 uses them on the peer port.
enum PeerProtocol {
    static let streamMessagePrefix = "/raft/stream/message/"
    static let streamMsgAppPrefix = "/raft/stream/msgapp/"
    static let pipeline = "/raft"
    static let snapshot = "/raft/snapshot"
    static let probing = "/raft/probing"
    static let version = "/version"
    static let members = "/members"
    static let promotePrefix = "/members/promote/"

    /// etcd's version a peer reports, and the oldest cluster version it works with.
    static let serverVersion = "3.4.23"
    static let minClusterVersion = "3.0.0"

    /// Member and cluster IDs as etcd writes them: lower-case hex without leading zeros.
    static func id(_ value: UInt64) -> String { hex(value) }

    static func parseID(_ text: Substring) -> UInt64? { UInt64(text, radix: 16) }

    /// The member a request comes from: its `X-Server-From` header, or for a stream the ID
    /// at the end of its path.
    static func sender(of headers: [HTTP2Header], path: String) -> UInt64? {
        if let from = headers["x-server-from"].flatMap({ parseID($0[...]) }) { return from }
        for prefix in [streamMessagePrefix, streamMsgAppPrefix] where path.hasPrefix(prefix) {
            return parseID(path.dropFirst(prefix.count))
        }
        return nil
    }

    /// The headers every peer request carries.
    static func requestHeaders(
        method: String, path: String, authority: String, from local: LocalMember, to: UInt64? = nil
    ) -> [HTTP2Header] {
        var headers = [
            HTTP2Header(":method", method), HTTP2Header(":scheme", "http"), HTTP2Header(":path", path),
            HTTP2Header(":authority", authority),
            HTTP2Header("x-server-from", id(local.id)), HTTP2Header("x-server-version", serverVersion),
            HTTP2Header("x-min-cluster-version", minClusterVersion), HTTP2Header("x-etcd-cluster-id", id(local.clusterID)),
            HTTP2Header("x-peerurls", local.peerURLs.joined(separator: ",")),
        ]
        if let to { headers.append(HTTP2Header("x-raft-to", id(to))) }
        return headers
    }

    static func responseHeaders(status: HTTPStatus, clusterID: UInt64, contentType: String? = nil) -> [HTTP2Header] {
        var headers = [HTTP2Header(":status", status.field), HTTP2Header("x-etcd-cluster-id", id(clusterID)),
                       HTTP2Header("x-server-version", serverVersion)]
        if let contentType { headers.append(HTTP2Header("content-type", contentType)) }
        return headers
    }
}

/// Who this member is to its peers: what its requests and answers on the peer port carry.
struct LocalMember: Sendable {
    var id: UInt64
    var clusterID: UInt64
    /// The URLs it advertises to peers (`X-PeerURLs`).
    var peerURLs: [String]
}
