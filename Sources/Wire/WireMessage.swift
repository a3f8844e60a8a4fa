import CEtcdProto
import Foundation

/// A message of etcd's wire formats: a Swift value type encoded and decoded by protobuf-c,
/// byte for byte as etcd 3.4 does. Conformances are generated from proto/ by tools/.
public protocol WireMessage: Hashable, Sendable {
    /// The full protobuf name, e.g. `raftpb.Message`.
    static var protoName: String { get }
    static var wireSchema: WireSchema { get }

    init()

    /// Fields this type does not know, kept from decoding and written back after the rest.
    var unknownFields: UnknownFields { get set }

    /// Builds the protobuf-c struct of this value in `arena` (generated).
    func _makeC(_ arena: WireArena) -> UnsafeMutableRawPointer
    /// Reads a protobuf-c struct that `_unpackC` produced (generated).
    init(_c: UnsafeRawPointer, _ arena: WireArena)
    /// protobuf-c's unpack for this type (generated).
    static func _unpackC(_ bytes: UnsafeRawBufferPointer, _ arena: WireArena) -> UnsafeMutableRawPointer?

    /// The JSON rendering in `style` (generated).
    func jsonValue(_ style: JSONStyle) -> JSONValue
    /// Reads the JSON rendering in `style`; either style's field names are accepted (generated).
    init(jsonValue: JSONValue, style: JSONStyle) throws(WireError)
}

/// The two JSON renderings of etcd's messages.
public enum JSONStyle: Sendable {
    /// protoc's json_name of each field (`prevKv`), as ../shared/vectors and jsonpb write it.
    case jsonName
    /// The field names as the .proto writes them (`prev_kv`), as etcd's gRPC gateway does.
    case protoName
}

extension WireMessage {
    /// Decodes `bytes` as etcd does; throws a `WireError` naming what is wrong and where.
    public init(serializedBytes bytes: some ContiguousBytes) throws(WireError) {
        do {
            self = try bytes.withUnsafeBytes { raw in try Self.decode(raw) }
        } catch let error as WireError {
            throw error
        } catch {
            throw .decoderRejected(type: Self.protoName)  // withUnsafeBytes only rethrows ours
        }
    }

    static func decode(_ raw: UnsafeRawBufferPointer) throws(WireError) -> Self {
        guard try WireScan.check(raw, wireSchema) else { return try unpack(raw) }
        let rewritten = WireScan.rewrite(raw, wireSchema)
        do {
            return try rewritten.withUnsafeBytes { r in try unpack(r) }
        } catch let error as WireError {
            throw error
        } catch {
            throw .decoderRejected(type: protoName)
        }
    }

    private static func unpack(_ raw: UnsafeRawBufferPointer) throws(WireError) -> Self {
        try WireArena.with { (arena: WireArena) throws(WireError) -> Self in
            // protobuf-c reads a NULL buffer of length 0 as an empty message.
            guard let c = _unpackC(raw, arena) else { throw WireError.decoderRejected(type: protoName) }
            return Self(_c: UnsafeRawPointer(c), arena)
        }
    }

    /// The bytes etcd's Marshal writes for this value.
    public func serializedBytes() -> [UInt8] {
        WireArena.with { arena in
            let c = _makeC(arena)
            let base = c.assumingMemoryBound(to: ProtobufCMessage.self)
            // Top-level unknown fields are appended here, exactly as they arrived.
            base.pointee.n_unknown_fields = 0
            base.pointee.unknown_fields = nil
            let size = protobuf_c_message_get_packed_size(base)
            let unknown = unknownFields.bytes
            return [UInt8](unsafeUninitializedCapacity: size + unknown.count) { buffer, count in
                let written = protobuf_c_message_pack(base, buffer.baseAddress!)
                if !unknown.isEmpty {
                    unknown.withUnsafeBufferPointer {
                        (buffer.baseAddress! + written).initialize(from: $0.baseAddress!, count: $0.count)
                    }
                }
                count = written + unknown.count
            }
        }
    }

    /// `serializedBytes()` as Data.
    public func serializedData() -> Data { Data(serializedBytes()) }

    /// The JSON text of `jsonValue(style)`.
    public func jsonString(_ style: JSONStyle = .jsonName) -> String { jsonValue(style).serialized() }

    public init(jsonString: String, style: JSONStyle = .jsonName) throws(WireError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: jsonString) } catch {
            throw .invalidJSON(path: Self.protoName, reason: "\(error)")
        }
        try self.init(jsonValue: value, style: style)
    }
}
