/// What the pre-scan needs to know of a message: for each known field number, how etcd's
/// decoder reads it. Generated alongside each message type.
public final class WireSchema: Sendable {
    public let name: String
    /// Kind codes (`WireField.Kind.code`) of fields numbered below `directCount`, by number:
    /// what the scan's hot loop reads, with no reference counting.
    let directCodes: [UInt8]
    /// The sub-schemas of embedded message fields numbered below `directCount`, by number:
    /// the scan descends into them without hashing.
    private let directSubSchemas: [(@Sendable () -> WireSchema)?]
    /// Every field by number, for the rest (names, sub-schemas, large numbers).
    private let fields: [Int32: WireField]
    static let directCount: Int32 = 64

    public init(_ name: String, _ fields: [WireField]) {
        self.name = name
        var codes = [UInt8](repeating: 0, count: Int(Self.directCount))
        var subs = [(@Sendable () -> WireSchema)?](repeating: nil, count: Int(Self.directCount))
        var byNumber: [Int32: WireField] = [:]
        for field in fields {
            byNumber[field.number] = field
            guard field.number < Self.directCount else { continue }
            codes[Int(field.number)] = field.kind.code
            switch field.kind {
            case .message(let sub), .messages(let sub): subs[Int(field.number)] = sub
            default: break
            }
        }
        directCodes = codes
        directSubSchemas = subs
        self.fields = byNumber
    }

    /// The field numbered `number`, nil when the schema does not know it.
    public func field(_ number: Int32) -> WireField? { fields[number] }

    /// The kind code of a field, 0 when the schema does not know it.
    @inline(__always)
    func code(_ number: Int32, _ direct: [UInt8]) -> UInt8 {
        number < Self.directCount ? direct[Int(number)] : fields[number]?.kind.code ?? 0
    }

    /// The schema of an embedded message field.
    func subSchema(_ number: Int32) -> WireSchema {
        if number < Self.directCount, let sub = directSubSchemas[Int(number)] { return sub() }
        switch fields[number]?.kind {
        case .message(let sub)?, .messages(let sub)?: return sub()
        default: preconditionFailure("field \(number) of \(name) is not a message")
        }
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

extension WireField.Kind {
    /// A small code for each kind, so the scan reads a byte instead of copying the enum.
    var code: UInt8 {
        switch self {
        case .varint: WireField.varint
        case .bool: WireField.bool
        case .fixed32: WireField.fixed32
        case .fixed64: WireField.fixed64
        case .bytes: WireField.bytes
        case .message: WireField.message
        case .messages: WireField.messages
        case .packedVarint: WireField.packedVarint
        case .packedFixed32: WireField.packedFixed32
        case .packedFixed64: WireField.packedFixed64
        }
    }
}

extension WireField {
    static let varint: UInt8 = 1, bool: UInt8 = 2, fixed32: UInt8 = 3, fixed64: UInt8 = 4, bytes: UInt8 = 5
    static let message: UInt8 = 6, messages: UInt8 = 7, packedVarint: UInt8 = 8, packedFixed32: UInt8 = 9
    static let packedFixed64: UInt8 = 10
}
