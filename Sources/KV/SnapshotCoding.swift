import Wire

/// Little-endian fixed-width writing and reading for Ferry's KV snapshot format.
struct SnapshotWriter {
    private(set) var bytes: [UInt8] = []

    mutating func int64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func uint32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func uint8(_ v: UInt8) { bytes.append(v) }

    mutating func run(_ raw: UnsafeRawBufferPointer) {
        uint32(UInt32(raw.count))
        bytes.append(contentsOf: raw)
    }

    mutating func run(_ raw: [UInt8]) { raw.withUnsafeBytes { run($0) } }

    mutating func raw(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    /// Empties the buffer, keeping its room, once its bytes went out.
    mutating func clear() { bytes.removeAll(keepingCapacity: true) }
}

/// Why snapshot bytes could not be restored.
public enum KVSnapshotError: Error, Hashable, Sendable, CustomStringConvertible {
    case notASnapshot
    case truncated(offset: Int)
    case checksumMismatch
    case inconsistent(String)

    public var description: String {
        switch self {
        case .notASnapshot: "not a Ferry KV snapshot (bad magic)"
        case .truncated(let offset): "KV snapshot truncated at byte \(offset)"
        case .checksumMismatch: "KV snapshot checksum mismatch"
        case .inconsistent(let what): "KV snapshot inconsistent: \(what)"
        }
    }
}

struct SnapshotReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func take(_ n: Int) throws(KVSnapshotError) -> ArraySlice<UInt8> {
        guard n >= 0, bytes.count - offset >= n else { throw .truncated(offset: offset) }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    mutating func int64() throws(KVSnapshotError) -> Int64 {
        var v: UInt64 = 0
        for (i, b) in try take(8).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return Int64(bitPattern: v)
    }

    mutating func uint32() throws(KVSnapshotError) -> UInt32 {
        var v: UInt32 = 0
        for (i, b) in try take(4).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }

    mutating func uint8() throws(KVSnapshotError) -> UInt8 { try take(1).first! }

    mutating func run() throws(KVSnapshotError) -> [UInt8] { Array(try take(Int(try uint32()))) }

    /// A length-prefixed protobuf message.
    mutating func message<M: WireMessage>(_ type: M.Type) throws(KVSnapshotError) -> M {
        let start = offset
        let bytes = try run()
        do { return try M(serializedBytes: bytes) } catch { throw .inconsistent("\(M.protoName) at byte \(start): \(error)") }
    }
}
