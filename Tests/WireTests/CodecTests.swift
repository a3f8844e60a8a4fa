import Foundation
import Testing
@testable import Wire

@Suite("raftpb codec follows etcd's gogo encoding")
struct CodecTests {
    @Test("etcd writes every non-nullable field, zeros included: an empty Message is 30 bytes")
    func emptyMessageWritesAllFields() {
        #expect(Message().serializedBytes().count == 30)
        #expect(Entry().serializedBytes() == [0x08, 0x00, 0x10, 0x00, 0x18, 0x00])
    }

    @Test("fields go out in field-number order: Entry's Type (1) before Term (2)")
    func fieldNumberOrder() {
        let entry = Entry(term: 3, index: 11, type: .entryNormal, data: Data("hello".utf8))
        #expect(entry.serializedBytes() == [0x08, 0x00, 0x10, 0x03, 0x18, 0x0b, 0x22, 0x05] + Array("hello".utf8))
    }

    @Test("absent and empty bytes stay distinct")
    func absentVersusEmptyBytes() throws {
        let absent = try Entry(serializedBytes: Entry(term: 1).serializedBytes())
        let empty = try Entry(serializedBytes: Entry(term: 1, data: Data()).serializedBytes())
        #expect(absent.data == nil)
        #expect(empty.data == Data())
        #expect(absent != empty)
    }

    @Test("absent fields decode as zero")
    func missingFieldsDecodeAsZero() throws {
        let state = try HardState(serializedBytes: [0x08, 0x05])
        #expect(state == HardState(term: 5))
        #expect(state.serializedBytes() == [0x08, 0x05, 0x10, 0x00, 0x18, 0x00])
    }

    @Test("unknown fields are kept and written after the known ones, in arrival order")
    func unknownFieldsKeptInOrder() throws {
        // field 99 (bytes "abc") before the known fields, field 15 (varint) after.
        let input: [UInt8] = [0x9a, 0x06, 0x03, 0x61, 0x62, 0x63, 0x08, 0x00, 0x10, 0x01, 0x18, 0x02, 0x78, 0x4d]
        let entry = try Entry(serializedBytes: input)
        #expect(entry.term == 1 && entry.index == 2)
        #expect(entry.serializedBytes() == [0x08, 0x00, 0x10, 0x01, 0x18, 0x02, 0x9a, 0x06, 0x03, 0x61, 0x62, 0x63, 0x78, 0x4d])
    }

    @Test("unknown fields of a nested message stay inside it")
    func nestedUnknownFields() throws {
        var entry = try Entry(serializedBytes: [0x08, 0x00, 0x10, 0x01, 0x18, 0x02, 0x78, 0x4d])
        entry.data = Data([1, 2])
        let message = Message(type: .msgApp, entries: [entry, Entry(term: 1, index: 3)])
        let decoded = try Message(serializedBytes: message.serializedBytes())
        #expect(decoded == message)
        #expect(decoded.entries[0].unknownFields == entry.unknownFields)
    }

    @Test("groups (wire types 3 and 4) are skipped as unknown fields and written back")
    func groupsKeptAsUnknown() throws {
        let input: [UInt8] = [0x2b, 0x08, 0x01, 0x2c]  // group 5 holding field 1 = 1
        let state = try HardState(serializedBytes: input)
        #expect(state.serializedBytes() == [0x08, 0x00, 0x10, 0x00, 0x18, 0x00] + input)
    }

    @Test("deeply nested groups are skipped without recursion")
    func deepGroups() throws {
        let input = [UInt8](repeating: 0x2b, count: 100_000) + [UInt8](repeating: 0x2c, count: 100_000)
        let state = try HardState(serializedBytes: input)
        #expect(state.unknownFields.bytes == input)
    }

    @Test("an enum value outside the enum is kept and written back")
    func unknownEnumValueKept() throws {
        let message = try Message(serializedBytes: [0x08, 0x63])
        #expect(message.type.rawValue == 99)
        #expect(message.type.description == "99")
        #expect(message.serializedBytes().prefix(2) == [0x08, 0x63])
    }

    @Test("packed repeated input is accepted; output is unpacked")
    func packedInputAccepted() throws {
        let state = try ConfState(serializedBytes: [0x0a, 0x03, 0x01, 0x02, 0x03])
        #expect(state.voters == [1, 2, 3])
        #expect(state.serializedBytes() == [0x08, 0x01, 0x08, 0x02, 0x08, 0x03, 0x28, 0x00])
    }

    @Test("a singular message written twice merges as etcd merges it, empty bytes included")
    func repeatedSingularMessageMerges() throws {
        let message = try Message(serializedBytes: [0x4a, 0x02, 0x0a, 0x00, 0x4a, 0x04, 0x12, 0x02, 0x10, 0x05])
        #expect(message.snapshot.data == Data())
        #expect(message.snapshot.metadata.index == 5)
    }

    @Test("a bool etcd reads as false (set bits only past bit 63) stays false")
    func boolOverflowBits() throws {
        let input: [UInt8] = [0x50] + [UInt8](repeating: 0x80, count: 9) + [0x02]
        #expect(try Message(serializedBytes: input).reject == false)
        #expect(try Message(serializedBytes: [0x50, 0x02]).reject == true)
    }

    @Test("malformed input throws an error naming the field and offset")
    func errorsNameWhereAndWhat() {
        #expect(throws: WireError.unexpectedEnd(path: "raftpb.HardState.term", offset: 2)) {
            try HardState(serializedBytes: [0x08, 0x80])
        }
        #expect(throws: WireError.wrongWireType(path: "raftpb.Entry", offset: 0, field: "Term", wireType: 2)) {
            try Entry(serializedBytes: [0x12, 0x01, 0x01])
        }
        #expect(throws: WireError.illegalTag(path: "raftpb.Entry", offset: 0, fieldNumber: 0)) {
            try Entry(serializedBytes: [0x00, 0x01])
        }
        #expect(throws: WireError.self) { try Message(serializedBytes: [0x3a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]) }
    }

    @Test("a large entry payload survives decoding intact")
    func largeEntry() throws {
        let payload = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let message = Message(type: .msgApp, entries: [Entry(term: 1, index: 1, data: payload)])
        let decoded = try Message(serializedBytes: message.serializedBytes())
        #expect(decoded.entries[0].data == payload)
    }

    @Test("JSON renders both styles and reads back")
    func jsonRoundTrip() throws {
        let change = ConfChange(type: .confChangeAddLearnerNode, nodeID: 7, context: Data([1]), id: 3)
        let json = change.jsonValue(.jsonName)
        #expect(json["nodeId"] == .string("7"))
        #expect(change.jsonValue(.protoName)["node_id"] == .string("7"))
        #expect(try ConfChange(jsonValue: json, style: .jsonName) == change)
        #expect(try ConfChange(jsonValue: change.jsonValue(.protoName), style: .protoName) == change)
    }
}

@Suite("JSON edge cases found by fuzzing")
struct JSONEdgeTests {
    @Test("an enum value of Int32.min renders as a number and reads back")
    func int32MinEnum() throws {
        let request = WatchRequest(requestUnion: .createRequest(WatchCreateRequest(filters: [WatchCreateRequest.FilterType(rawValue: Int32.min)])))
        let json = request.jsonValue(.jsonName)
        #expect(try WatchRequest(jsonValue: json, style: .jsonName) == request)
    }
}
