/// Why bytes could not be read as a message or a frame: what was wrong and where.
///
/// Offsets count bytes from the start of the input handed to the decoder; `path` names the
/// message and field being read, outermost first (e.g. `raftpb.Message.entries[2].Data`).
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended inside a tag, a value or a length-delimited field.
    case unexpectedEnd(path: String, offset: Int)
    /// A varint ran past 10 bytes.
    case varintOverflow(path: String, offset: Int)
    /// A tag whose field number is zero or negative (after etcd's int32 truncation).
    case illegalTag(path: String, offset: Int, fieldNumber: Int64)
    /// A wire type that the field cannot have (or 6 and 7, which no field can have).
    case wrongWireType(path: String, offset: Int, field: String, wireType: Int)
    /// An end-group tag with no group open.
    case unexpectedEndGroup(path: String, offset: Int)
    /// A length that is negative or points past the end of the input.
    case invalidLength(path: String, offset: Int, length: UInt64)
    /// Messages nested deeper than `WireScan.maxDepth`.
    case tooDeep(path: String, offset: Int)
    /// protobuf-c refused bytes the pre-scan accepted: a bug in Ferry, reported not trapped.
    case decoderRejected(type: String)
    /// A stream frame announced more bytes than the decoder's limit.
    case frameTooLarge(offset: Int, length: UInt64, limit: UInt64)
    /// A stream ended inside a frame.
    case truncatedFrame(offset: Int, needed: Int, available: Int)
    /// An msgappv2 frame began with a type byte other than 0, 1 or 2.
    case unknownFrameType(offset: Int, type: UInt8)
    /// A JSON document did not describe a message of the expected type.
    case invalidJSON(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unexpectedEnd(path, offset):
            "\(path): unexpected end of input at byte \(offset)"
        case let .varintOverflow(path, offset):
            "\(path): varint longer than 10 bytes at byte \(offset)"
        case let .illegalTag(path, offset, number):
            "\(path): illegal tag (field number \(number)) at byte \(offset)"
        case let .wrongWireType(path, offset, field, wireType):
            "\(path): wire type \(wireType) is wrong for field \(field) at byte \(offset)"
        case let .unexpectedEndGroup(path, offset):
            "\(path): end-group tag without a group at byte \(offset)"
        case let .invalidLength(path, offset, length):
            "\(path): invalid length \(length) at byte \(offset)"
        case let .tooDeep(path, offset):
            "\(path): messages nested too deeply at byte \(offset)"
        case let .decoderRejected(type):
            "\(type): protobuf-c rejected input the pre-scan accepted"
        case let .frameTooLarge(offset, length, limit):
            "frame at byte \(offset) announces \(length) bytes, over the limit of \(limit)"
        case let .truncatedFrame(offset, needed, available):
            "stream ends inside the frame at byte \(offset): \(needed) bytes needed, \(available) present"
        case let .unknownFrameType(offset, type):
            "msgappv2 frame at byte \(offset) has unknown type \(type)"
        case let .invalidJSON(path, reason):
            "\(path): \(reason)"
        }
    }

    /// The same error with its byte offset counted from the start of a stream, for a message
    /// decoded from a frame whose payload begins at `base`.
    public func inStream(at base: Int) -> WireError {
        switch self {
        case let .unexpectedEnd(path, offset): .unexpectedEnd(path: path, offset: base + offset)
        case let .varintOverflow(path, offset): .varintOverflow(path: path, offset: base + offset)
        case let .illegalTag(path, offset, number): .illegalTag(path: path, offset: base + offset, fieldNumber: number)
        case let .wrongWireType(path, offset, field, wireType):
            .wrongWireType(path: path, offset: base + offset, field: field, wireType: wireType)
        case let .unexpectedEndGroup(path, offset): .unexpectedEndGroup(path: path, offset: base + offset)
        case let .invalidLength(path, offset, length): .invalidLength(path: path, offset: base + offset, length: length)
        case let .tooDeep(path, offset): .tooDeep(path: path, offset: base + offset)
        case .decoderRejected, .frameTooLarge, .truncatedFrame, .unknownFrameType, .invalidJSON: self
        }
    }
}
