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

    /// etcd's ValidateConfigurationChange: why a committed conf change must not take effect
    /// (it is then applied to raft as a no-op and its proposer gets the refusal), nil when it may.
    public func refusal(of change: ConfChange) throws(MembershipError) -> MembershipRefusal? {
        let id = change.nodeID
        if removed.contains(id) { return .idRemoved }
        switch change.type {
        case .confChangeAddNode, .confChangeAddLearnerNode:
            let context = try ConfChangeContext(id: id, json: Array(change.context ?? Data()))
            if context.isPromote {
                guard let member = members[id] else { return .idNotFound }
                return member.isLearner ? nil : .memberNotLearner
            }
            if members[id] != nil { return .idExists }
            let urls = Set(members.values.flatMap(\.peerURLs))
            if context.member.peerURLs.contains(where: urls.contains) { return .peerURLExists }
            if context.member.isLearner, members.values.filter(\.isLearner).count + 1 > Self.maxLearners { return .tooManyLearners }
        case .confChangeRemoveNode:
            if members[id] == nil { return .idNotFound }
        case .confChangeUpdateNode:
            if members[id] == nil { return .idNotFound }
            let update = try ClusterMember(id: id, json: Array(change.context ?? Data()))
            let urls = Set(members.values.filter { $0.id != id }.flatMap(\.peerURLs))
            if update.peerURLs.contains(where: urls.contains) { return .peerURLExists }
        default:
            break
        }
        return nil
    }

    /// etcd allows one learner at a time.
    static let maxLearners = 1

    /// Applies a committed conf change (v1) that `refusal(of:)` let through; its context
    /// carries the member's JSON (with `isPromote` for a promotion). Returns what changed for
    /// the transport: a member to connect to or to drop.
    public mutating func apply(_ change: ConfChange) throws(MembershipError) -> MembershipChange {
        switch change.type {
        case .confChangeAddNode, .confChangeAddLearnerNode:
            let context = try ConfChangeContext(id: change.nodeID, json: Array(change.context ?? Data()))
            if context.isPromote {
                members[change.nodeID]?.isLearner = false
                return .promoted(change.nodeID)
            }
            members[change.nodeID] = context.member
            return .added(context.member)
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

    /// The context of a promotion: etcd's ConfigChangeContext, a member ID and `isPromote`.
    public static func promotionContext(id: UInt64) -> String {
        "{\"id\":\(id),\"peerURLs\":null,\"isPromote\":true}"
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
    public static func attributesRequest(id: UInt64, name: String, clientURLs: [String]) -> Request {
        var request = Request()
        request.method = "PUT"
        request.path = "/0/members/\(String(id, radix: 16))/attributes"
        request.val = "{\"name\":" + JSONValue.string(name).serialized() + ",\"clientURLs\":"
            + JSONValue.array(clientURLs.map { .string($0) }).serialized() + "}"
        return request
    }

    /// The v2 request the leader logs to set the cluster version.
    public static func versionRequest(version: String) -> Request {
        var request = Request()
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
    case promoted(UInt64)
}

/// Why a membership change was refused, with etcd's gRPC codes and messages.
public enum MembershipRefusal: Error, Equatable, Sendable {
    case idRemoved
    case idNotFound
    case idExists
    case peerURLExists
    case memberNotLearner
    case tooManyLearners
    case notEnoughStartedMembers
    case learnerNotReady
    case unhealthy
    case badURLs

    public var status: GRPCStatus {
        switch self {
        case .idRemoved, .idNotFound: GRPCStatus(code: .notFound, message: "etcdserver: member not found")
        case .idExists: GRPCStatus(code: .failedPrecondition, message: "etcdserver: member ID already exist")
        case .peerURLExists: GRPCStatus(code: .failedPrecondition, message: "etcdserver: Peer URLs already exists")
        case .memberNotLearner: GRPCStatus(code: .failedPrecondition, message: "etcdserver: can only promote a learner member")
        case .tooManyLearners: GRPCStatus(code: .failedPrecondition, message: "etcdserver: too many learner members in cluster")
        case .notEnoughStartedMembers: GRPCStatus(code: .failedPrecondition, message: "etcdserver: re-configuration failed due to not enough started members")
        case .learnerNotReady: GRPCStatus(code: .failedPrecondition, message: "etcdserver: can only promote a learner member which is in sync with leader")
        case .unhealthy: GRPCStatus(code: .unavailable, message: "etcdserver: unhealthy cluster")
        case .badURLs: GRPCStatus(code: .invalidArgument, message: "etcdserver: given member URLs are invalid")
        }
    }
}

/// A conf change's context for adding or promoting: etcd's ConfigChangeContext, a member's
/// JSON with `isPromote` beside it.
struct ConfChangeContext {
    var member: ClusterMember
    var isPromote: Bool

    init(id: UInt64, json bytes: [UInt8]) throws(MembershipError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw .malformedMember(id: id, reason: error.description) }
        isPromote = value["isPromote"] == .bool(true)
        member = isPromote ? ClusterMember(id: id, peerURLs: []) : try ClusterMember(id: id, json: bytes)
    }
}
