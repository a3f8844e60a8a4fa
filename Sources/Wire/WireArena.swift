import CEtcdProto
import Foundation

/// The protobuf-c side of one encode or decode: C structs, arrays and bytes live in a
/// thread-local bump arena that is reset in one step when the operation ends.
public struct WireArena {
    let raw: UnsafeMutablePointer<FerryArena>

    var allocator: UnsafeMutablePointer<ProtobufCAllocator> {
        UnsafeMutableRawPointer(raw).assumingMemoryBound(to: ProtobufCAllocator.self)
    }

    /// Runs `body` with the calling thread's arena and resets it afterwards.
    static func with<R, E: Error>(_ body: (WireArena) throws(E) -> R) throws(E) -> R {
        let arena = WireArena(raw: ferry_arena_acquire())
        defer { ferry_arena_release(arena.raw) }
        return try body(arena)
    }

    public func allocate<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        ferry_arena_alloc(raw, MemoryLayout<T>.stride).bindMemory(to: T.self, capacity: 1)
    }

    public func allocateArray<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        ferry_arena_alloc(raw, MemoryLayout<T>.stride * Swift.max(count, 1))
            .bindMemory(to: T.self, capacity: count)
    }

    /// Copies a Swift array of scalars into the arena for a repeated field.
    public func array<T>(_ values: [T]) -> UnsafeMutablePointer<T>? {
        guard !values.isEmpty else { return nil }
        let pointer = allocateArray(T.self, count: values.count)
        values.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: $0.count) }
        return pointer
    }

    /// Copies bytes into the arena for a bytes field.
    public func binary(_ data: Data) -> ProtobufCBinaryData {
        let count = data.count
        guard count > 0 else { return ProtobufCBinaryData(len: 0, data: nil) }
        let pointer = ferry_arena_alloc(raw, count).assumingMemoryBound(to: UInt8.self)
        data.copyBytes(to: pointer, count: count)
        return ProtobufCBinaryData(len: count, data: pointer)
    }

    /// A NUL-terminated copy of a string for a string field.
    public func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        var utf8 = string.utf8CString
        let pointer = allocateArray(CChar.self, count: utf8.count)
        utf8.withUnsafeMutableBufferPointer { pointer.initialize(from: $0.baseAddress!, count: $0.count) }
        return pointer
    }

    /// The bytes of a decoded bytes field. A large field's buffer is adopted as it is (the one
    /// copy protobuf-c made is the only one); a small one is copied, often into Data's
    /// inline storage.
    public func take(_ binary: ProtobufCBinaryData) -> Data {
        guard binary.len > 0, let pointer = binary.data else { return Data() }
        if binary.len >= Int(FERRY_ARENA_LARGE), ferry_arena_adopt(raw, pointer) != 0 {
            return Data(bytesNoCopy: pointer, count: binary.len, deallocator: .free)
        }
        return Data(bytes: pointer, count: binary.len)
    }

    /// Hands a nested message's unknown fields to protobuf-c, which writes them after the
    /// message's known fields. The whole run goes as one record whose tag is the first
    /// field's, so the bytes come out as they arrived.
    public func attach(_ unknown: UnknownFields, to message: UnsafeMutableRawPointer) {
        guard let first = unknown.firstTag else { return }
        let base = message.assumingMemoryBound(to: ProtobufCMessage.self)
        let field = allocate(ProtobufCMessageUnknownField.self)
        let rest = unknown.bytes.count - first.length
        let data = allocateArray(UInt8.self, count: rest)
        unknown.bytes.withUnsafeBufferPointer { data.initialize(from: $0.baseAddress! + first.length, count: rest) }
        field.pointee = ProtobufCMessageUnknownField(
            tag: first.fieldNumber, wire_type: ProtobufCWireType(rawValue: .init(first.wireType)),
            len: rest, data: data)
        base.pointee.n_unknown_fields = 1
        base.pointee.unknown_fields = field
    }
}
