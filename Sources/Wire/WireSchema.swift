/// What the pre-scan needs to know of a message: for each known field number, how etcd's
/// decoder reads it. Generated alongside each message type.
public final class WireSchema: Sendable {
    public let name: String
    /// Fields numbered below `directCount`, indexed by number; the rest by dictionary.
    private let direct: [WireField?]
    private let others: [Int32: WireField]
    private static let directCount: Int32 = 64

    public init(_ name: String, _ fields: [WireField]) {
        self.name = name
        var direct = [WireField?](repeating: nil, count: Int(Self.directCount))
        var others: [Int32: WireField] = [:]
        for field in fields {
            if field.number < Self.directCount { direct[Int(field.number)] = field } else { others[field.number] = field }
        }
        self.direct = direct
        self.others = others
    }

    @inline(__always)
    func field(_ number: Int32) -> WireField? {
        number < Self.directCount ? direct[Int(number)] : others[number]
    }
}

/// One known field of a `WireSchema`.
public struct WireField: Sendable {
    public enum Kind: Sendable {
        /// A varint scalar (integers and enums).
        case varint
        /// A bool: a varint whose truth etcd and protobuf-c judge differently in one corner.
        case bool
        case fixed32
        case fixed64
        /// Bytes or a string.
        case bytes
        /// A singular embedded message: a second occurrence merges into the first.
        case message(@Sendable () -> WireSchema)
        /// A repeated embedded message or a oneof member: each occurrence stands alone.
        case messages(@Sendable () -> WireSchema)
        /// A repeated varint scalar: one value per field, or packed in a length-delimited run.
        case packedVarint
        case packedFixed32
        case packedFixed64
    }

    public let number: Int32
    public let name: StaticString
    public let kind: Kind

    public init(_ number: Int32, _ name: StaticString, _ kind: Kind) {
        self.number = number
        self.name = name
        self.kind = kind
    }
}
