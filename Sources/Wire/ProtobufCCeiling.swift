import CEtcdProto
import CProtobufC

/// protobuf-c's own cost of a heartbeat round trip, with no Swift values around it: the
/// C structs built once, then per round trip one pack into a stack buffer and one unpack
/// into the thread's arena, reset after. What the Wire module does on top of that (the
/// pre-scan, and building and releasing the Swift values) shows as the difference. Here
/// because no module but Wire touches protobuf-c; `ferry-bench codec` reports it.
public enum ProtobufCCeiling {
    /// Round trips per second, as `rate` measures the body it is given.
    public static func heartbeatRoundTrips(rate: (() -> Void) -> Double) -> Double {
        var confState = Raftpb__ConfState()
        raftpb__conf_state__init(&confState)
        var metadata = Raftpb__SnapshotMetadata()
        raftpb__snapshot_metadata__init(&metadata)
        metadata.has_index = 1
        metadata.has_term = 1
        var snapshot = Raftpb__Snapshot()
        raftpb__snapshot__init(&snapshot)
        var message = Raftpb__Message()
        raftpb__message__init(&message)
        message.has_type = 1
        message.type = RAFTPB__MESSAGE_TYPE__MsgHeartbeat
        (message.has_to, message.to, message.has_from, message.from) = (1, 2, 1, 1)
        (message.has_term, message.term, message.has_commit, message.commit) = (1, 5, 1, 1000)
        (message.has_logterm, message.has_index, message.has_reject, message.has_rejecthint) = (1, 1, 1, 1)
        return withUnsafeMutablePointer(to: &confState) { confState in
            metadata.conf_state = confState
            return withUnsafeMutablePointer(to: &metadata) { metadata in
                snapshot.metadata = metadata
                return withUnsafeMutablePointer(to: &snapshot) { snapshot in
                    message.snapshot = snapshot
                    return withUnsafeMutablePointer(to: &message) { message in
                        let base = UnsafeMutableRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self)
                        var buffer = [UInt8](repeating: 0, count: 256)
                        return buffer.withUnsafeMutableBufferPointer { out in
                            rate {
                                let arena = ferry_arena_acquire()!
                                let size = protobuf_c_message_get_packed_size(base)
                                protobuf_c_message_pack(base, out.baseAddress!)
                                let allocator = UnsafeMutableRawPointer(arena).assumingMemoryBound(to: ProtobufCAllocator.self)
                                guard raftpb__message__unpack(allocator, size, out.baseAddress!) != nil else { fatalError("protobuf-c refused its own heartbeat") }
                                ferry_arena_release(arena)
                            }
                        }
                    }
                }
            }
        }
    }
}
