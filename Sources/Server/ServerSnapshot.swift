import KV

/// What a raft snapshot of a Ferry member holds: the membership and the KV state machine,
/// both as of the snapshot's index. Layout: `ferry-snapshot/1\n`, the membership JSON's
/// length (4 bytes, big-endian), the JSON, then the KV snapshot bytes.
struct ServerSnapshot {
    static let magic = Array("ferry-snapshot/1\n".utf8)

    var membership: Membership
    var kv: [UInt8]

    func encoded() -> [UInt8] {
        let json = Array(membership.json.utf8)
        let count = UInt32(json.count)
        return Self.magic + [UInt8(count >> 24), UInt8(truncatingIfNeeded: count >> 16), UInt8(truncatingIfNeeded: count >> 8),
                             UInt8(truncatingIfNeeded: count)] + json + kv
    }

    init(membership: Membership, kv: [UInt8]) {
        self.membership = membership
        self.kv = kv
    }

    init(decoding bytes: [UInt8]) throws(MembershipError) {
        let head = Self.magic.count
        guard bytes.count >= head + 4, Array(bytes[..<head]) == Self.magic else {
            throw .malformedSnapshot("not a Ferry snapshot (\(bytes.count) bytes)")
        }
        let count = bytes[head..<head + 4].reduce(0) { $0 << 8 | Int($1) }
        guard bytes.count >= head + 4 + count else { throw .malformedSnapshot("membership runs past the end") }
        membership = try Membership(json: Array(bytes[(head + 4)..<(head + 4 + count)]))
        kv = Array(bytes[(head + 4 + count)...])
    }
}
