import Foundation
import NIOCore
import NIOPosix
import Transport
import Wire

/// A running cluster as a peer describes it to a joining member: its ID (the answer's
/// X-Etcd-Cluster-ID) and its members (etcd's `GET /members` JSON).
struct RemoteCluster {
    var clusterID: UInt64
    var members: [ClusterMember]

    /// Asks each URL in turn, a few rounds, as etcd's getClusterFromRemotePeers does.
    static func fetch(from urls: [String], rounds: Int = 5) throws -> RemoteCluster {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        var reasons: [String] = []
        for round in 0..<rounds {
            if round > 0 { Thread.sleep(forTimeInterval: 1) }
            for url in urls {
                guard let address = PeerURL.hostPort(url) else { continue }
                do {
                    let answer = try PeerMembersRequest.fetch(url: url, host: address.host, port: address.port,
                                                              timeout: .seconds(2), on: group.next()).wait()
                    return RemoteCluster(clusterID: answer.clusterID, members: try members(json: answer.body))
                } catch {
                    reasons.append("\(error)")
                }
            }
        }
        throw ServerStartError.noRemoteCluster(Array(reasons.suffix(urls.count)))
    }

    /// The members in etcd's JSON list. Their IDs are 64-bit integers that a JSON double
    /// would round, so they are read from the text: each member object starts with `"id":`.
    static func members(json bytes: [UInt8]) throws -> [ClusterMember] {
        guard case .array(let items) = try JSONValue(parsing: bytes) else {
            throw MembershipError.malformedSnapshot("the member list is not a JSON array")
        }
        let ids = exactIDs(String(decoding: bytes, as: UTF8.self))
        guard ids.count == items.count else { throw MembershipError.malformedSnapshot("member IDs do not read as integers") }
        return try zip(ids, items).map { id, item in try ClusterMember(id: id, json: Array(item.serialized().utf8)) }
    }

    private static func exactIDs(_ text: String) -> [UInt64] {
        var ids: [UInt64] = []
        var rest = text[...]
        while let key = rest.range(of: "\"id\":") {
            rest = rest[key.upperBound...]
            let digits = rest.drop { $0 == " " }.prefix { $0.isNumber }
            if let id = UInt64(digits) { ids.append(id) }
        }
        return ids
    }
}
