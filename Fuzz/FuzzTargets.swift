// libFuzzer targets for Wire's decoders, built by tools/fuzz.sh into one binary with the Wire
// sources (swiftc -sanitize=fuzzer,address); FERRY_FUZZ_TARGET picks the target. Each target
// feeds the input to a decoder; whatever decodes must re-encode, decode again to the same
// value, render as JSON and read back. Any trap, leak or mismatch is a finding.
import Foundation

enum FuzzTarget: String, CaseIterable {
    case message, entry, raftpbOther = "raftpb-other", walRecord = "wal-record"
    case snapFile = "snap-file", messageStream = "message-stream", msgAppV2 = "msgappv2"
    case internalRaftRequest = "internal-raft-request", apiRequest = "api-request"
}

/// The client requests of the KV, Lease, Watch, Cluster and Maintenance services; the
/// api-request target picks one by the input's first byte (tools/fuzz.sh seeds it the same way).
let apiRequestTypes: [any WireMessage.Type] = [
    RangeRequest.self, PutRequest.self, DeleteRangeRequest.self, TxnRequest.self, CompactionRequest.self,
    LeaseGrantRequest.self, LeaseRevokeRequest.self, LeaseKeepAliveRequest.self, LeaseTimeToLiveRequest.self,
    LeaseLeasesRequest.self, WatchRequest.self, MemberAddRequest.self, MemberRemoveRequest.self,
    MemberUpdateRequest.self, MemberListRequest.self, MemberPromoteRequest.self, AlarmRequest.self,
    StatusRequest.self, DefragmentRequest.self, HashRequest.self, HashKVRequest.self, SnapshotRequest.self,
    MoveLeaderRequest.self,
]

func roundTripAny(_ type: any WireMessage.Type, _ bytes: UnsafeRawBufferPointer) {
    func open<T: WireMessage>(_ t: T.Type) { roundTrip(t, bytes) }
    open(type)
}

nonisolated(unsafe) let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["FERRY_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        fatalError("set FERRY_FUZZ_TARGET to one of: \(names)")
    }
    return target
}()

/// Decodes, and for what decodes checks the encode/decode and JSON round trips.
func roundTrip<T: WireMessage>(_ type: T.Type, _ bytes: UnsafeRawBufferPointer) {
    guard let value = try? T(serializedBytes: bytes) else { return }
    let encoded = value.serializedBytes()
    guard let again = try? T(serializedBytes: encoded) else { fatalError("\(T.protoName): re-encoding does not decode") }
    guard again.serializedBytes() == encoded else { fatalError("\(T.protoName): encoding is not stable") }
    for style in [JSONStyle.jsonName, .protoName] {
        guard let fromJSON = try? T(jsonValue: value.jsonValue(style), style: style) else {
            fatalError("\(T.protoName): JSON does not read back")
        }
        // JSON carries no unknown fields, so compare what it does carry.
        guard fromJSON.jsonValue(style) == value.jsonValue(style) else {
            fatalError("\(T.protoName): JSON round trip changed the value")
        }
    }
    if let m = value as? Message { _ = m.describe }
    if let e = value as? Entry { _ = e.describe }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    switch selectedTarget {
    case .message: roundTrip(Message.self, bytes)
    case .entry: roundTrip(Entry.self, bytes)
    case .raftpbOther:
        guard let first = bytes.first else { return 0 }
        let rest = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        switch first % 5 {
        case 0: roundTrip(HardState.self, rest)
        case 1: roundTrip(ConfState.self, rest)
        case 2: roundTrip(ConfChange.self, rest)
        case 3: roundTrip(ConfChangeV2.self, rest)
        default: roundTrip(Snapshot.self, rest)
        }
    case .walRecord: roundTrip(WALRecord.self, bytes)
    case .snapFile: roundTrip(SnapshotFile.self, bytes)
    case .internalRaftRequest: roundTrip(InternalRaftRequest.self, bytes)
    case .apiRequest:
        guard let first = bytes.first else { return 0 }
        roundTripAny(apiRequestTypes[Int(first) % apiRequestTypes.count], UnsafeRawBufferPointer(rebasing: bytes.dropFirst()))
    case .messageStream:
        // Small limit so oversize frames are exercised without large inputs.
        var decoder = MessageStreamDecoder(limit: 1 << 16)
        var at = 0
        while at < size {
            let chunk = min(size - at, Int(bytes[at] % 17) + 1)
            decoder.feed(bytes[at..<(at + chunk)])
            at += chunk
            do {
                while let frame = try decoder.nextFrame() { _ = try? Message(serializedBytes: frame.payload) }
            } catch { return 0 }
        }
        _ = try? decoder.finish()
    case .msgAppV2:
        var decoder = MsgAppV2Decoder(local: 2, remote: 1, limit: 1 << 16)
        var at = 0
        while at < size {
            let chunk = min(size - at, Int(bytes[at] % 23) + 1)
            decoder.feed(bytes[at..<(at + chunk)])
            at += chunk
            do {
                while let frame = try decoder.next() { _ = frame.message.describe }
            } catch { return 0 }
        }
        _ = try? decoder.finish()
    }
    return 0
}
