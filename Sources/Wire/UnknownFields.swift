import CEtcdProto

/// Fields a decoder did not know, kept byte for byte in the order they arrived and written
/// back after the known fields, as etcd's gogo-generated code does (`XXX_unrecognized`).
public struct UnknownFields: Hashable, Sendable {
    /// The raw fields, each tag included.
    public private(set) var bytes: [UInt8]

    public init() { bytes = [] }

    public var isEmpty: Bool { bytes.isEmpty }

    /// Reads the unknown fields protobuf-c collected. Fields the pre-scan wrapped
    /// (`WireScan.wrapperFieldNumber`) are unwrapped back to their original bytes.
    init(_ base: ProtobufCMessage) {
        bytes = []
        guard base.n_unknown_fields > 0, let fields = base.unknown_fields else { return }
        for i in 0..<Int(base.n_unknown_fields) {
            let field = fields[i]
            let data = UnsafeBufferPointer(start: field.data, count: field.len)
            if field.tag == WireScan.wrapperFieldNumber {
                // Length-delimited: skip the length varint, keep the payload.
                var offset = 0
                while offset < data.count, data[offset] & 0x80 != 0 { offset += 1 }
                bytes.append(contentsOf: data[(offset + 1)...])
            } else {
                WireScan.appendVarint(UInt64(field.tag) << 3 | UInt64(field.wire_type.rawValue), to: &bytes)
                bytes.append(contentsOf: data)
            }
        }
    }

    /// The first field's tag, when it is written canonically (protobuf-c can then emit it).
    var firstTag: (fieldNumber: UInt32, wireType: UInt8, length: Int)? {
        guard !bytes.isEmpty else { return nil }
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var index = 0
        while index < bytes.count, index < 10 {
            let byte = bytes[index]
            value |= UInt64(byte & 0x7f) << shift
            index += 1
            if byte < 0x80 { break }
            shift += 7
        }
        // A non-canonical tag still goes out canonical: protobuf-c has no way to write it.
        return (UInt32(truncatingIfNeeded: value >> 3), UInt8(value & 7), index)
    }
}
