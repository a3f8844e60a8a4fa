import Foundation
import GRPC
import NIOCore
import NIOPosix
import Wire

/// A running cluster (Ferry or etcd) replaying a KV transcript through its v3 gRPC API, the
/// requests spread over its endpoints in turn. What must differ between clusters is masked
/// as the README's recorder masked it: headers keep only `revision`, TTLs left are dropped,
/// lease lists and a lease's keys are sorted.
///
/// Reads a member answers from its own store (HashKV, the lease list, a serializable range),
/// a watcher's start, its cancel and the collection of its events come after a linearizable
/// read through every endpoint, so that every member has applied what earlier lines wrote,
/// as a single member always has.
final class KVRemoteCluster: KVTranscriptTarget {
    let endpoints: [String]
    private let group: MultiThreadedEventLoopGroup
    private let clients: [GRPCClient]
    private var turn = 0
    private var watchers: [String: KVRemoteWatcher] = [:]

    /// How long one call or wait may take before the replay gives up on the cluster: only a
    /// failing replay waits this long, so it is generous for a loaded machine.
    static let timeout: TimeAmount = .seconds(30)

    /// Replays `file` on the cluster at `endpoints` (HOST:PORT each); throws when it cannot
    /// be reached or is not fresh.
    static func replay(_ file: String, endpoints: [String]) throws -> [String] {
        var cluster = try KVRemoteCluster(endpoints: endpoints)
        defer { cluster.close() }
        try cluster.checkFresh()
        return try KVRunner.replay(file, on: &cluster)
    }

    private init(endpoints: [String]) throws {
        self.endpoints = endpoints
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        do {
            clients = try endpoints.map { endpoint in
                guard let (host, port) = Self.hostPort(endpoint) else { throw RemoteError("endpoint \(endpoint) is not HOST:PORT") }
                return try GRPCClient.connect(host: host, port: port, group: group).wait()
            }
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    private func close() {
        for watcher in watchers.values { watcher.close() }
        for client in clients { try? client.close().wait() }
        try? group.syncShutdownGracefully()
    }

    /// A transcript starts from a store at revision 1 with no keys and no leases.
    private func checkFresh() throws {
        for (index, endpoint) in endpoints.enumerated() {
            let all = RangeRequest(key: Data([0]), rangeEnd: Data([0]), countOnly: true)
            let range: RangeResponse = try call("/etcdserverpb.KV/Range", all, on: index).get()
            let leases: LeaseLeasesResponse = try call("/etcdserverpb.Lease/LeaseLeases", LeaseLeasesRequest(), on: index).get()
            let revision = range.header?.revision ?? 0
            guard revision == 1, range.count == 0, leases.leases.isEmpty else {
                throw RemoteError("\(endpoint) serves a used store (revision \(revision), \(range.count) keys, \(leases.leases.count) leases): "
                    + "a transcript needs a fresh cluster (revision 1, no leases); start a new one for each transcript file")
            }
        }
    }

    // MARK: Requests

    func answer(kind: String, request json: JSONValue) throws -> JSONValue {
        guard let method = RemoteMethod.all[kind] else { throw RemoteError("unknown request kind \(kind)") }
        let request = try method.encode(json)
        if method.readsLocally || Self.asksSerializable(json) { try barrier() }
        switch call(method.path, bytes: request, on: nextEndpoint()) {
        case .success(let response):
            return .object([("response", Self.masked(kind, try method.render(response)))])
        case .failure(let status):
            return .object([("error", .object([("code", .number(Double(status.code.rawValue))), ("message", .string(status.message))]))])
        }
    }

    private func nextEndpoint() -> Int {
        defer { turn = (turn + 1) % clients.count }
        return turn
    }

    /// A linearizable read through every endpoint: each member has applied every write
    /// answered before. Returns the revision the last one read at.
    @discardableResult
    private func barrier() throws -> Int64 {
        var revision: Int64 = 0
        for index in clients.indices {
            let response: RangeResponse = try call("/etcdserverpb.KV/Range", RangeRequest(key: Data([0]), countOnly: true), on: index).get()
            revision = response.header?.revision ?? 0
        }
        return revision
    }

    private func call<Response: WireMessage>(_ path: String, _ request: some WireMessage, on index: Int) -> Result<Response, GRPCStatus> {
        call(path, bytes: request.serializedBytes(), on: index).flatMap { bytes in
            Result { () throws(WireError) in try Response(serializedBytes: bytes) }
                .mapError { .internalError("\(path): cannot decode the response: \($0)") }
        }
    }

    /// A unary call, waited for.
    private func call(_ path: String, bytes: [UInt8], on index: Int) -> Result<[UInt8], GRPCStatus> {
        let client = clients[index]
        let answer = client.eventLoop.makePromise(of: Result<[UInt8], GRPCStatus>.self)
        // Both callbacks run on the client's loop, one after the other.
        nonisolated(unsafe) var responses: [[UInt8]] = []
        let call = client.makeCall(path: path, timeout: Self.timeout, onMessage: { responses.append($0) }) { status in
            if status.code != .ok {
                answer.succeed(.failure(status))
            } else if responses.count != 1 {
                answer.succeed(.failure(.internalError("\(path): \(responses.count) response messages, not 1")))
            } else {
                answer.succeed(.success(responses[0]))
            }
        }
        call.send(bytes)
        call.closeSend()
        return (try? answer.futureResult.wait()) ?? .failure(.internalError("\(path): no answer"))
    }

    // MARK: Watchers

    func watch(_ label: String, _ request: WatchCreateRequest) throws {
        try barrier()
        let watcher = KVRemoteWatcher(label: label, client: clients[nextEndpoint()], timeout: Self.timeout)
        watchers[label] = watcher
        let created = try watcher.create(request)
        let revision = created.header?.revision ?? 0
        if request.startRevision != 0, request.startRevision <= revision { try watcher.catchUp(revision: revision) }
    }

    func cancelWatch(_ label: String) throws -> Bool {
        guard let watcher = watchers[label] else { return false }
        // The watcher's member first applies what came before: its events precede the cancel.
        try barrier()
        try watcher.cancel()
        return true
    }

    func watchResponses(_ label: String) throws -> [JSONValue]? {
        guard let watcher = watchers[label] else { return nil }
        let revision = try barrier()
        try watcher.catchUp(revision: revision)
        return watcher.responses.map { $0.jsonValue(.protoName) }
    }

    // MARK: Masking

    /// What the recorder kept of etcd's answers.
    static func masked(_ kind: String, _ response: JSONValue) -> JSONValue {
        guard case .object(var members) = revisionOnlyHeaders(response) else { return response }
        switch kind {
        case "leaseTimeToLive":
            members.removeAll { $0.0 == "TTL" }
            members = members.map { name, value in
                guard name == "keys", case .array(let keys) = value else { return (name, value) }
                return (name, .array(keys.sorted { bytes($0).lexicographicallyPrecedes(bytes($1)) }))
            }
        case "leaseLeases":
            members = members.map { name, value in
                guard name == "leases", case .array(let leases) = value else { return (name, value) }
                return (name, .array(leases.sorted { id($0) < id($1) }))
            }
        default:
            break
        }
        return .object(members)
    }

    /// Every `header` (the response's and those nested in a txn's) keeps only `revision`.
    static func revisionOnlyHeaders(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.map { name, member in
                guard name == "header", case .object(let fields) = member else { return (name, revisionOnlyHeaders(member)) }
                return (name, .object(fields.filter { $0.0 == "revision" }))
            })
        case .array(let items):
            return .array(items.map(revisionOnlyHeaders))
        default:
            return value
        }
    }

    private static func bytes(_ value: JSONValue) -> [UInt8] {
        value.stringValue.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? []
    }

    private static func id(_ lease: JSONValue) -> Int64 { lease["ID"]?.stringValue.flatMap { Int64($0) } ?? 0 }

    /// Whether a request reads serializably somewhere (a range, or a range inside a txn).
    static func asksSerializable(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let members): members.contains { $0.0 == "serializable" && $0.1 == .bool(true) || asksSerializable($0.1) }
        case .array(let items): items.contains(where: asksSerializable)
        default: false
        }
    }

    static func hostPort(_ endpoint: String) -> (String, Int)? {
        var text = Substring(endpoint)
        for scheme in ["http://", "https://"] where text.hasPrefix(scheme) { text = text.dropFirst(scheme.count) }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        let host = text[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : (host, port)
    }
}

/// Why a replay through the network could not go on.
struct RemoteError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A transcript request kind: its gRPC method and message types.
struct RemoteMethod: Sendable {
    let path: String
    /// Answered from a member's own store (the leader's, for a lease's TTL), without a
    /// read index.
    let readsLocally: Bool
    let encode: @Sendable (JSONValue) throws -> [UInt8]
    let render: @Sendable ([UInt8]) throws -> JSONValue

    init<Request: WireMessage, Response: WireMessage>(_ path: String, _: Request.Type, _: Response.Type, readsLocally: Bool = false) {
        self.path = path
        self.readsLocally = readsLocally
        encode = { json in try Request(jsonValue: json, style: .protoName).serializedBytes() }
        render = { bytes in try Response(serializedBytes: bytes).jsonValue(.protoName) }
    }

    static let all: [String: RemoteMethod] = [
        "put": RemoteMethod("/etcdserverpb.KV/Put", PutRequest.self, PutResponse.self),
        "range": RemoteMethod("/etcdserverpb.KV/Range", RangeRequest.self, RangeResponse.self),
        "deleteRange": RemoteMethod("/etcdserverpb.KV/DeleteRange", DeleteRangeRequest.self, DeleteRangeResponse.self),
        "txn": RemoteMethod("/etcdserverpb.KV/Txn", TxnRequest.self, TxnResponse.self),
        "compaction": RemoteMethod("/etcdserverpb.KV/Compact", CompactionRequest.self, CompactionResponse.self),
        "leaseGrant": RemoteMethod("/etcdserverpb.Lease/LeaseGrant", LeaseGrantRequest.self, LeaseGrantResponse.self),
        "leaseRevoke": RemoteMethod("/etcdserverpb.Lease/LeaseRevoke", LeaseRevokeRequest.self, LeaseRevokeResponse.self),
        "leaseTimeToLive": RemoteMethod("/etcdserverpb.Lease/LeaseTimeToLive", LeaseTimeToLiveRequest.self, LeaseTimeToLiveResponse.self,
                                        readsLocally: true),
        "leaseLeases": RemoteMethod("/etcdserverpb.Lease/LeaseLeases", LeaseLeasesRequest.self, LeaseLeasesResponse.self, readsLocally: true),
        "hashKV": RemoteMethod("/etcdserverpb.Maintenance/HashKV", HashKVRequest.self, HashKVResponse.self, readsLocally: true),
    ]
}
