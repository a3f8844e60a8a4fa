import Foundation
import KV
import Wire

/// A single etcd member as the KV transcripts see it: requests pass etcd's gRPC checks, reads
/// are answered from the state machine, everything else is encoded as the InternalRaftRequest
/// entry etcd would log and applied from those bytes, the path a node takes after commit.
struct KVTranscriptNode: KVTranscriptTarget {
    let machine = KVStateMachine()
    let checks = RequestChecks()
    private var nextRequestID: UInt64 = 1
    /// The transcript's watcher labels and the state machine's watch IDs.
    private var watchers: [String: Int64] = [:]

    mutating func watch(_ label: String, _ request: WatchCreateRequest) {
        watchers[label] = machine.watch(request)
    }

    mutating func cancelWatch(_ label: String) -> Bool {
        guard let id = watchers[label] else { return false }
        machine.cancelWatch(id)
        return true
    }

    mutating func watchResponses(_ label: String) -> [JSONValue]? {
        watchers[label].map { id in machine.takeWatchResponses(id).map { $0.jsonValue(.protoName) } }
    }

    /// The answer to one request line: `{"response": ...}` or `{"error": {code, message}}`,
    /// normalised as the transcripts are.
    mutating func answer(kind: String, request json: JSONValue) -> JSONValue {
        do {
            return .object([("response", try respond(kind: kind, json))])
        } catch let error as KVError {
            let status = error.status
            return .object([("error", .object([("code", .number(Double(status.code.rawValue))), ("message", .string(status.message))]))])
        } catch {
            return .object([("error", .string("\(error)"))])
        }
    }

    private mutating func respond(kind: String, _ json: JSONValue) throws -> JSONValue {
        switch kind {
        case "put":
            let r = try PutRequest(jsonValue: json, style: .protoName)
            try checks.check(r)
            return try propose(InternalRaftRequest(put: r))
        case "range":
            let r = try RangeRequest(jsonValue: json, style: .protoName)
            try checks.check(r)
            return try machine.range(r).jsonValue(.protoName)
        case "deleteRange":
            let r = try DeleteRangeRequest(jsonValue: json, style: .protoName)
            try checks.check(r)
            return try propose(InternalRaftRequest(deleteRange: r))
        case "txn":
            let r = try TxnRequest(jsonValue: json, style: .protoName)
            try checks.check(r)
            if KVStateMachine.isReadOnly(r) { return try machine.txn(r).jsonValue(.protoName) }
            return try propose(InternalRaftRequest(txn: r))
        case "compaction":
            return try propose(InternalRaftRequest(compaction: try CompactionRequest(jsonValue: json, style: .protoName)))
        case "leaseGrant":
            var r = try LeaseGrantRequest(jsonValue: json, style: .protoName)
            if r.id == 0 { r.id = Int64(nextRequestID | 1 << 40) }  // etcd picks an ID before proposing
            return try propose(InternalRaftRequest(leaseGrant: r))
        case "leaseRevoke":
            return try propose(InternalRaftRequest(leaseRevoke: try LeaseRevokeRequest(jsonValue: json, style: .protoName)))
        case "leaseTimeToLive":
            var response = machine.leaseTimeToLive(try LeaseTimeToLiveRequest(jsonValue: json, style: .protoName),
                                                   now: LeaseTime(nanoseconds: 0))
            response.ttl = 0  // the remaining seconds depend on time; the transcripts drop them
            return response.jsonValue(.protoName)
        case "leaseLeases":
            return machine.leaseLeases().jsonValue(.protoName)
        case "hashKV":
            return try machine.hashKV(try HashKVRequest(jsonValue: json, style: .protoName)).jsonValue(.protoName)
        default:
            throw UnknownKind(kind: kind)
        }
    }

    struct UnknownKind: Error, CustomStringConvertible {
        let kind: String
        var description: String { "unknown request kind \(kind)" }
    }

    struct WrongRequestID: Error, CustomStringConvertible {
        let expected: UInt64
        let applied: UInt64
        var description: String { "applied entry answered request \(applied), not \(expected)" }
    }

    /// Encodes `request` as etcd logs it, applies the bytes and returns the response.
    private mutating func propose(_ request: InternalRaftRequest) throws -> JSONValue {
        var entry = request
        entry.header = RequestHeader(id: nextRequestID)
        nextRequestID += 1
        let bytes = entry.serializedBytes()
        try checks.checkSize(ofEntry: bytes.count)
        let applied = machine.apply(entry: bytes)
        guard applied.requestID == entry.header?.id else {
            throw WrongRequestID(expected: entry.header?.id ?? 0, applied: applied.requestID)
        }
        switch try applied.result.get() {
        case .range(let r): return r.jsonValue(.protoName)
        case .put(let r): return r.jsonValue(.protoName)
        case .deleteRange(let r): return r.jsonValue(.protoName)
        case .txn(let r): return r.jsonValue(.protoName)
        case .compaction(let r): return r.jsonValue(.protoName)
        case .leaseGrant(let r): return r.jsonValue(.protoName)
        case .leaseRevoke(let r): return r.jsonValue(.protoName)
        case .leaseCheckpoint(let r): return r.jsonValue(.protoName)
        case .alarm(let r): return r.jsonValue(.protoName)
        case .auth(let r): return r.message.jsonValue(.protoName)
        }
    }
}
