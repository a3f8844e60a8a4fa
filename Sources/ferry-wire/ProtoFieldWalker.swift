import Wire

/// One field occurrence found walking protobuf bytes: where it is, what it is, and for an
/// embedded message (known from the schema) the fields inside it.
struct ProtoFieldOccurrence {
    var range: Range<Int>
    var number: Int64
    var wireType: Int
    var name: String?
    /// The raw value: a varint, a fixed value, or the payload range of a length-delimited field.
    var value: Value
    var children: [ProtoFieldOccurrence]?

    enum Value {
        case varint(UInt64)
        case fixed32(UInt32)
        case fixed64(UInt64)
        case bytes(Range<Int>)
        case group
    }
}

/// Walks protobuf wire format generically, guided by a schema for names and nesting.
enum ProtoFieldWalker {
    struct Malformed: Error, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "\(reason) at byte \(offset)" }
    }

    static func walk(_ bytes: [UInt8], _ range: Range<Int>, _ schema: WireSchema?) throws -> [ProtoFieldOccurrence] {
        var out: [ProtoFieldOccurrence] = []
        var at = range.lowerBound
        while at < range.upperBound {
            let start = at
            let tag = try varint(bytes, &at, range.upperBound)
            let number = Int64(tag >> 3), wireType = Int(tag & 7)
            guard number > 0 else { throw Malformed(offset: start, reason: "illegal field number \(number)") }
            let field = number <= Int64(Int32.max) ? schema?.field(Int32(number)) : nil
            let value: ProtoFieldOccurrence.Value
            var children: [ProtoFieldOccurrence]?
            switch wireType {
            case 0:
                value = .varint(try varint(bytes, &at, range.upperBound))
            case 1:
                try need(at, 8, range.upperBound)
                value = .fixed64(UInt64(littleEndian: bytes[at..<(at + 8)].enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }))
                at += 8
            case 5:
                try need(at, 4, range.upperBound)
                value = .fixed32(bytes[at..<(at + 4)].enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) })
                at += 4
            case 2:
                let lengthAt = at
                let length = try varint(bytes, &at, range.upperBound)
                guard length <= UInt64(range.upperBound - at) else { throw Malformed(offset: lengthAt, reason: "length \(length) runs past the end") }
                let payload = at..<(at + Int(length))
                value = .bytes(payload)
                switch field?.kind {
                case .message(let nested)?, .messages(let nested)?:
                    children = try walk(bytes, payload, nested())
                default:
                    break
                }
                at = payload.upperBound
            case 3, 4:
                value = .group
            default:
                throw Malformed(offset: start, reason: "wire type \(wireType)")
            }
            out.append(ProtoFieldOccurrence(range: start..<at, number: number, wireType: wireType,
                                            name: field.map { "\($0.name)" }, value: value, children: children))
        }
        return out
    }

    private static func need(_ at: Int, _ count: Int, _ end: Int) throws {
        guard end - at >= count else { throw Malformed(offset: at, reason: "\(count) bytes needed, \(end - at) present") }
    }

    private static func varint(_ bytes: [UInt8], _ at: inout Int, _ end: Int) throws -> UInt64 {
        var value: UInt64 = 0
        let start = at
        for shift in stride(from: 0, to: 70, by: 7) {
            guard at < end else { throw Malformed(offset: start, reason: "varint runs past the end") }
            let byte = bytes[at]
            at += 1
            if shift < 64 { value |= UInt64(byte & 0x7F) << UInt64(shift) }
            if byte & 0x80 == 0 { return value }
        }
        throw Malformed(offset: start, reason: "varint longer than 10 bytes")
    }
}
