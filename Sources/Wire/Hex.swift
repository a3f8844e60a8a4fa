/// Hexadecimal as etcd prints it: IDs as Go's `%x` (member, cluster and raft IDs in log lines,
/// headers and URLs), zero-padded numbers as `%016x` (file names, lease IDs), bytes as pairs of
/// lowercase digits.
public func hex(_ id: UInt64) -> String { String(id, radix: 16) }

/// `value` in lowercase hexadecimal, zero-padded to at least `digits` digits.
public func hex(_ value: UInt64, digits: Int) -> String {
    let text = String(value, radix: 16)
    return text.count >= digits ? text : String(repeating: "0", count: digits - text.count) + text
}

/// Each byte as two lowercase hexadecimal digits.
public func hex(bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.underestimatedCount * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xf)])
    }
    return String(decoding: out, as: UTF8.self)
}
