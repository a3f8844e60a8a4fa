import Foundation
import KV
import Wire

/// A deterministic generator (SplitMix64), so a failing run can be replayed from its seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Drives a state machine through encoded entries, the way a node applies committed ones.
struct EntryDriver {
    let machine: KVStateMachine
    var nextID: UInt64 = 1

    init(_ machine: KVStateMachine = KVStateMachine()) { self.machine = machine }

    @discardableResult
    mutating func apply(_ request: InternalRaftRequest, now: LeaseTime = LeaseTime(nanoseconds: 0)) -> Result<KVResponse, KVError> {
        var entry = request
        entry.header = RequestHeader(id: nextID)
        nextID += 1
        return machine.apply(entry: entry.serializedBytes(), now: now).result
    }

    @discardableResult
    mutating func put(_ key: String, _ value: String, lease: Int64 = 0) -> Result<KVResponse, KVError> {
        apply(InternalRaftRequest(put: PutRequest(key: Data(key.utf8), value: Data(value.utf8), lease: lease)))
    }

    @discardableResult
    mutating func delete(_ key: String, end: String = "") -> Result<KVResponse, KVError> {
        apply(InternalRaftRequest(deleteRange: DeleteRangeRequest(key: Data(key.utf8), rangeEnd: Data(end.utf8))))
    }

    func get(_ key: String, end: String = "", revision: Int64 = 0) throws -> RangeResponse {
        try machine.range(RangeRequest(key: Data(key.utf8), rangeEnd: Data(end.utf8), revision: revision))
    }
}

extension Data {
    var text: String { String(decoding: self, as: UTF8.self) }
}
