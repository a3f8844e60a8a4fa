import Wire

/// One member of the cluster as etcd 3.4 records it (membership.Member): raft attributes
/// agreed through conf changes, and the name and client URLs the member publishes itself.
public struct ClusterMember: Equatable, Sendable {
    public var id: UInt64
    public var name: String
    public var peerURLs: [String]
    public var clientURLs: [String]
    public var isLearner: Bool

    public init(id: UInt64, name: String = "", peerURLs: [String], clientURLs: [String] = [], isLearner: Bool = false) {
        self.id = id
        self.name = name
        self.peerURLs = peerURLs
        self.clientURLs = clientURLs
        self.isLearner = isLearner
    }

    /// etcd's JSON of a member, as carried in a conf change's context: `id`, `peerURLs`,
    /// then `isLearner`, `name` and `clientURLs` when set. The ID is written as an exact
    /// integer (a JSON double would round it).
    public var json: String { json(id: String(id)) }

    /// The same JSON with `id` written as given (a snapshot writes it as a hex string).
    func json(id idText: String) -> String {
        var out = "{\"id\":\(idText),\"peerURLs\":" + JSONValue.array(peerURLs.map { .string($0) }).serialized()
        if isLearner { out += ",\"isLearner\":true" }
        if !name.isEmpty { out += ",\"name\":" + JSONValue.string(name).serialized() }
        if !clientURLs.isEmpty { out += ",\"clientURLs\":" + JSONValue.array(clientURLs.map { .string($0) }).serialized() }
        return out + "}"
    }

    /// Reads a member's JSON; the ID is the conf change's node ID, not the JSON's number.
    init(id: UInt64, json bytes: [UInt8]) throws(MembershipError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw .malformedMember(id: id, reason: error.description) }
        guard case .array(let peers)? = value["peerURLs"] else {
            throw .malformedMember(id: id, reason: "no peerURLs")
        }
        self.init(id: id, name: value["name"]?.stringValue ?? "", peerURLs: peers.compactMap(\.stringValue),
                  clientURLs: Self.strings(value["clientURLs"]), isLearner: value["isLearner"] == .bool(true))
    }

    static func strings(_ value: JSONValue?) -> [String] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap(\.stringValue)
    }
}

/// Why a membership record could not be read.
public enum MembershipError: Error, Equatable, CustomStringConvertible {
    case malformedMember(id: UInt64, reason: String)
    case malformedSnapshot(String)

    public var description: String {
        switch self {
        case .malformedMember(let id, let reason): "member \(String(id, radix: 16)): malformed JSON: \(reason)"
        case .malformedSnapshot(let reason): "snapshot: \(reason)"
        }
    }
}
