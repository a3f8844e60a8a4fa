import Foundation
import Wire

/// The cluster as raft has agreed on it (etcd's RaftCluster): its members, the IDs removed
/// for good, and the cluster version the leader published. Changed only by applying
/// committed entries, so every member holds the same.
public struct Membership: Equatable, Sendable {
    public private(set) var members: [UInt64: ClusterMember] = [:]
    public private(set) var removed: Set<UInt64> = []
    public private(set) var clusterVersion: String?

    public init() {}

    /// Members by ID, in ID order.
    public var sorted: [ClusterMember] { members.keys.sorted().map { members[$0]! } }

    /// Applies a committed conf change (v1), whose context carries the member's JSON.
    /// Returns what changed for the transport: a member to connect to or to drop.
    public mutating func apply(_ change: ConfChange) throws(MembershipError) -> MembershipChange {
        switch change.type {
        case .confChangeAddNode, .confChangeAddLearnerNode:
            guard !removed.contains(change.nodeID) else { return .none }
            if var existing = members[change.nodeID] {
                existing.isLearner = change.type == .confChangeAddLearnerNode
                members[change.nodeID] = existing
                return .none
            }
            let member = try ClusterMember(id: change.nodeID, json: Array(change.context ?? Data()))
            members[change.nodeID] = member
            return .added(member)
        case .confChangeRemoveNode:
            removed.insert(change.nodeID)
            return members.removeValue(forKey: change.nodeID).map { .removed($0.id) } ?? .none
        case .confChangeUpdateNode:
            guard var member = members[change.nodeID] else { return .none }
            let update = try ClusterMember(id: change.nodeID, json: Array(change.context ?? Data()))
            member.peerURLs = update.peerURLs
            members[change.nodeID] = member
            return .updated(member)
        default:
            return .none
        }
    }

    /// Applies one of the v2 requests etcd 3.4 logs for its own bookkeeping: a member's
    /// attributes (`PUT /0/members/<id>/attributes`) or the cluster version
    /// (`PUT /0/version`). Returns false for any other request.
    public mutating func apply(_ request: Request) -> Bool {
        guard request.method == "PUT" else { return false }
        if request.path == "/0/version" {
            clusterVersion = request.val
            return true
        }
        let parts = request.path.split(separator: "/")
        guard parts.count == 4, parts[0] == "0", parts[1] == "members", parts[3] == "attributes",
              let id = UInt64(parts[2], radix: 16) else { return false }
        guard var member = members[id], let value = try? JSONValue(parsing: request.val) else { return true }
        member.name = value["name"]?.stringValue ?? ""
        member.clientURLs = ClusterMember.strings(value["clientURLs"])
        members[id] = member
        return true
    }

    /// The v2 request a member logs to publish its name and client URLs.
    public static func attributesRequest(id: UInt64, requestID: UInt64, name: String, clientURLs: [String]) -> Request {
        var request = Request()
        request.id = requestID
        request.method = "PUT"
        request.path = "/0/members/\(String(id, radix: 16))/attributes"
        request.val = "{\"name\":" + JSONValue.string(name).serialized() + ",\"clientURLs\":"
            + JSONValue.array(clientURLs.map { .string($0) }).serialized() + "}"
        return request
    }

    /// The v2 request the leader logs to set the cluster version.
    public static func versionRequest(requestID: UInt64, version: String) -> Request {
        var request = Request()
        request.id = requestID
        request.method = "PUT"
        request.path = "/0/version"
        request.val = version
        return request
    }

    // MARK: Snapshot form

    /// JSON for a snapshot: `{"members":[...],"removed":[...],"version":"..."}`, IDs as hex
    /// strings (a JSON number would lose their low bits).
    var json: String {
        var out = "{\"members\":[" + sorted.map { $0.json(id: "\"\(String($0.id, radix: 16))\"") }.joined(separator: ",") + "]"
        out += ",\"removed\":[" + removed.sorted().map { "\"\(String($0, radix: 16))\"" }.joined(separator: ",") + "]"
        if let clusterVersion { out += ",\"version\":" + JSONValue.string(clusterVersion).serialized() }
        return out + "}"
    }

    init(json bytes: [UInt8]) throws(MembershipError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw .malformedSnapshot(error.description) }
        guard case .array(let items)? = value["members"] else { throw .malformedSnapshot("no members") }
        for item in items {
            guard let id = item["id"]?.stringValue.flatMap({ UInt64($0, radix: 16) }) else {
                throw .malformedSnapshot("member without an id: \(item)")
            }
            members[id] = try ClusterMember(id: id, json: Array(item.serialized().utf8))
        }
        for item in ClusterMember.strings(value["removed"]) {
            if let id = UInt64(item, radix: 16) { removed.insert(id) }
        }
        clusterVersion = value["version"]?.stringValue
    }
}

/// What applying a conf change means for the connections a member keeps.
public enum MembershipChange: Equatable, Sendable {
    case none
    case added(ClusterMember)
    case removed(UInt64)
    case updated(ClusterMember)
}
