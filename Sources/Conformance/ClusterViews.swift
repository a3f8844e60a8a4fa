import Foundation
import Wire

/// One member's `endpoint status`.
struct EndpointStatus: Sendable, Equatable {
    let memberID: UInt64
    let leader: UInt64
    let raftTerm: UInt64
    let raftIndex: UInt64
    let appliedIndex: UInt64
    let revision: Int64

    init(_ status: JSONValue) {
        memberID = EtcdctlJSON.uint(status["header"]?["member_id"])
        leader = EtcdctlJSON.uint(status["leader"])
        raftTerm = EtcdctlJSON.uint(status["raftTerm"])
        raftIndex = EtcdctlJSON.uint(status["raftIndex"])
        appliedIndex = EtcdctlJSON.uint(status["raftAppliedIndex"])
        revision = EtcdctlJSON.int(status["header"]?["revision"])
    }

    var text: String {
        "member \(hex(memberID)) leader \(hex(leader)) term \(raftTerm) index \(raftIndex) applied \(appliedIndex) revision \(revision)"
    }
}


/// One entry of `member list`.
struct MemberInfo: Sendable {
    let id: UInt64
    let name: String
    let peerURLs: [String]
    let clientURLs: [String]
}

/// One key of a range response, decoded.
struct StoredKey: Sendable, Equatable, CustomStringConvertible {
    let key: String
    let value: String
    let createRevision: Int64
    let modRevision: Int64
    let version: Int64
    let lease: Int64

    var description: String { "\(key)=\(value) (create \(createRevision), mod \(modRevision), version \(version))" }
}

/// A member's whole key space at one revision.
struct KeySpace: Sendable, Equatable {
    let revision: Int64
    let keys: [StoredKey]

    /// The first difference from `other`, or nil.
    func difference(_ other: KeySpace) -> String? {
        if revision != other.revision { return "revision \(revision) vs \(other.revision)" }
        if keys.count != other.keys.count { return "\(keys.count) keys vs \(other.keys.count)" }
        for (a, b) in zip(keys, other.keys) where a != b { return "\(a) vs \(b)" }
        return nil
    }
}

extension Etcdctl {
    /// `endpoint status` of one member, or why it failed.
    func status(_ endpoint: String, timeout: Double = 1) -> Result<EndpointStatus, ClusterProblem> {
        let result = run([endpoint], ["endpoint", "status", "-w", "json"], timeout: timeout)
        guard result.ok else { return .failure(ClusterProblem(result.summary)) }
        guard case .array(let items)? = result.json, let first = items.first, let status = first["Status"] else {
            return .failure(ClusterProblem("endpoint status: unreadable output \(result.stdout.prefix(200))"))
        }
        return .success(EndpointStatus(status))
    }

    func memberList(_ endpoint: String) -> Result<[MemberInfo], ClusterProblem> {
        let result = run([endpoint], ["member", "list", "-w", "json"])
        guard result.ok, let json = result.json else { return .failure(ClusterProblem(result.summary)) }
        guard case .array(let items)? = json["members"] else { return .success([]) }
        return .success(items.map {
            MemberInfo(id: EtcdctlJSON.uint($0["ID"]), name: $0["name"]?.stringValue ?? "",
                       peerURLs: EtcdctlJSON.strings($0["peerURLs"]), clientURLs: EtcdctlJSON.strings($0["clientURLs"]))
        })
    }

    /// Every key under `prefix` ("" for all), linearizable or serializable.
    func keySpace(_ endpoint: String, prefix: String = "", serializable: Bool = false, timeout: Double = 3) -> Result<KeySpace, ClusterProblem> {
        var arguments = ["get", prefix, "--prefix", "-w", "json"]
        if serializable { arguments.append("--consistency=s") }
        let result = run([endpoint], arguments, timeout: timeout)
        guard result.ok, let json = result.json else { return .failure(ClusterProblem(result.summary)) }
        var keys: [StoredKey] = []
        if case .array(let items)? = json["kvs"] {
            keys = items.map {
                StoredKey(key: EtcdctlJSON.base64($0["key"]), value: EtcdctlJSON.base64($0["value"]),
                          createRevision: EtcdctlJSON.int($0["create_revision"]), modRevision: EtcdctlJSON.int($0["mod_revision"]),
                          version: EtcdctlJSON.int($0["version"]), lease: EtcdctlJSON.int($0["lease"]))
            }
        }
        return .success(KeySpace(revision: EtcdctlJSON.int(json["header"]?["revision"]), keys: keys))
    }

    /// The value of `key`, nil when absent.
    func get(_ endpoint: String, _ key: String, serializable: Bool) -> Result<String?, ClusterProblem> {
        var arguments = ["get", key, "-w", "json"]
        if serializable { arguments.append("--consistency=s") }
        let result = run([endpoint], arguments)
        guard result.ok, let json = result.json else { return .failure(ClusterProblem(result.summary)) }
        guard case .array(let items)? = json["kvs"], let first = items.first else { return .success(nil) }
        return .success(EtcdctlJSON.base64(first["value"]))
    }

    /// `put KEY VALUE`; nil when etcdctl acknowledged it.
    func put(_ endpoint: String, _ key: String, _ value: String, timeout: Double = 3) -> ClusterProblem? {
        let result = run([endpoint], ["put", key, value], timeout: timeout)
        return result.ok && result.stdout.hasPrefix("OK") ? nil : ClusterProblem("put \(key) via \(endpoint): \(result.summary)")
    }
}

/// Why a check failed, in words.
struct ClusterProblem: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
