import Foundation
import Testing
import Wire
@testable import ferry_wire

private let linkHeartbeat = "08081000180020002800300040004a0a12080a0228001000180050005800"
private let capture = "../shared/captures/etcd-3.4.23-membership"

private func run<C: ToolCommand>(_ type: C.Type, _ arguments: [String], stdin: String = "") throws -> ToolOutput {
    try C.parse(arguments).produce(stdin: { Array(stdin.utf8) })
}

@Test func decodeDescribesAndAnnotates() throws {
    #expect(try run(Decode.self, ["--hex"], stdin: linkHeartbeat).text == "0->0 MsgHeartbeat Term:0 Log:0/0\n")
    let annotated = try run(Decode.self, ["--hex", "--annotate"], stdin: linkHeartbeat).text
    #expect(annotated.hasPrefix("[0..<2] field 1 varint type = 8\n[2..<4] field 2 varint to = 0\n"))
    #expect(annotated.contains("    [18..<22] field 1 bytes conf_state {\n"))
    let json = try run(Decode.self, ["--hex", "--json"], stdin: linkHeartbeat).text
    #expect(try run(Encode.self, ["--hex"], stdin: json).text == linkHeartbeat + "\n")
}

@Test func decodeShowsEntryPayloads() throws {
    let change = ConfChange(type: .confChangeAddNode, nodeID: 0xab)
    let entry = Entry(term: 1, index: 2, type: .entryConfChange, data: change.serializedData())
    let message = Message(type: .msgApp, to: 2, from: 1, term: 1, entries: [entry])
    let text = try run(Decode.self, ["--hex"], stdin: hex(bytes: message.serializedBytes())).text
    #expect(text == "1->2 MsgApp Term:1 Log:0/0 Entries:[1/2 EntryConfChange v171]\n  1/2 EntryConfChange: ConfChange ConfChangeAddNode node=ab\n")
    let piped = try run(Decode.self, ["--hex", "--payload-decoder", "wc -c"], stdin: hex(bytes: message.serializedBytes())).text
    #expect(piped.hasSuffix("EntryConfChange: \(change.serializedBytes().count)\n"))
}

@Test func decodeReportsMalformedInputWithOffsets() throws {
    #expect(throws: ToolError.self) { try run(Decode.self, ["--hex"], stdin: "08") }
    do {
        _ = try run(Decode.self, ["--hex"], stdin: "0a05")
        Issue.record("a length past the end decoded")
    } catch let error as ToolError {
        #expect("\(error)".contains("at byte"))
    }
    do {
        _ = try run(Decode.self, ["--hex"], stdin: "08zz")
        Issue.record("bad hex decoded")
    } catch let error as ToolError {
        #expect("\(error)" == "invalid hex digit at character 2")
    }
    do {
        _ = try run(Decode.self, ["--hex", "--stream"], stdin: "00000000000000ff08")
        Issue.record("a truncated stream decoded")
    } catch let error as ToolError {
        #expect("\(error)".contains("frame at byte 0"))
    }
    for cut in 0..<(linkHeartbeat.count / 2) {
        _ = try? run(Decode.self, ["--hex", "--annotate"], stdin: String(linkHeartbeat.prefix(cut * 2)))
    }
}

@Test func diffNamesFieldPaths() throws {
    let a = Message(type: .msgApp, to: 2, from: 1, term: 3)
    var b = a
    b.term = 4
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-wire-diff-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Data(a.serializedBytes()).write(to: URL(fileURLWithPath: "\(dir)/a"))
    try Data(b.serializedBytes()).write(to: URL(fileURLWithPath: "\(dir)/b"))
    let output = try run(Diff.self, ["\(dir)/a", "\(dir)/b"])
    #expect(output.text == "raftpb.Message.term: \"3\" → \"4\"\n")
    #expect(output.status == 1)
    #expect(try run(Diff.self, ["\(dir)/a", "\(dir)/a"]).status == 0)
}

@Test func walDumpJSONIsExpectedWAL() throws {
    guard FileManager.default.fileExists(atPath: "\(capture)/m1/expected-wal.json") else { return }
    let output = try run(WALDump.self, ["\(capture)/m1", "--json"])
    let got = try JSONValue(parsing: output.text), want = try JSONValue(parsing: String(contentsOfFile: "\(capture)/m1/expected-wal.json", encoding: .utf8))
    for key in ["openAt", "snapshot", "metadata", "hardState", "entryCount", "firstIndex", "lastIndex"] { #expect(got[key] == want[key]) }
    #expect(try run(WALVerify.self, ["\(capture)/m1/wal"]).text == "ok: 213 records, framing and CRC chain intact\n")
    let confChanges = try run(WALDump.self, ["\(capture)/m1/wal", "--entry-type", "EntryConfChange", "--start-index", "101"]).text
    #expect(confChanges == "0000000000000000-0000000000000000.wal@110928 entry 2/101 EntryConfChange 32 bytes: ConfChange ConfChangeRemoveNode node=cac806d69525e6a5\n")
}

@Test func walVerifyFindsATornTail() throws {
    guard let data = FileManager.default.contents(atPath: "\(capture)/m1/wal/0000000000000000-0000000000000000.wal") else { return }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-wire-wal-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try data.prefix(111_300).write(to: URL(fileURLWithPath: "\(dir)/0000000000000000-0000000000000000.wal"))
    let output = try run(WALVerify.self, [dir])
    #expect(output.status == 1)
    #expect(output.text.hasPrefix("first bad record: 0000000000000000-0000000000000000.wal at byte 111288"))
    #expect(output.text.contains("repair would truncate the last segment to 111288 bytes"))
    let dump = try run(WALDump.self, [dir, "--raw"])
    #expect(dump.status == 1)
    #expect(dump.text.hasSuffix("DAMAGE 0000000000000000-0000000000000000.wal at byte 111288: record of 24 bytes runs past the end of the file (torn write)\n"))
}

@Test func snapDumpChecksCRC() throws {
    guard FileManager.default.fileExists(atPath: "\(capture)/m1/snap") else { return }
    let output = try run(SnapDump.self, ["\(capture)/m1/snap/0000000000000003-0000000000000066.snap"])
    #expect(output.text.hasPrefix("0000000000000003-0000000000000066.snap: index 102 term 3, 10251 data bytes, crc ok\n"))
}

@Test func captureListsMessagesJSONLines() throws {
    guard FileManager.default.fileExists(atPath: "\(capture)/peers.pcapng") else { return }
    let lines = try run(CaptureList.self, ["\(capture)/peers.pcapng", "--json"]).text.split(separator: "\n")
    let want = try String(contentsOfFile: "\(capture)/messages.jsonl", encoding: .utf8).split(separator: "\n")
    #expect(lines.count == want.count)
    for (got, expected) in zip(lines, want) { #expect(try JSONValue(parsing: String(got)) == JSONValue(parsing: String(expected))) }
    let text = try run(CaptureList.self, ["\(capture)/peers.pcapng"]).text
    #expect(text.hasPrefix("0.000000 cac806d69525e6a5 → 38393e944d0cfdb stream-message cac806d69525e6a5->38393e944d0cfdb MsgVote Term:2 Log:1/3\n"))
    #expect(throws: ToolError.self) { try run(CaptureList.self, [], stdin: "not a capture") }
}

@Test func sequenceDrawsOneLifelinePerMember() throws {
    let lines = [Message(type: .msgVote, to: 2, from: 1, term: 2), Message(type: .msgVoteResp, to: 1, from: 2, term: 2)]
        .enumerated().map { "{\"time\": \($0.offset), \"hex\": \"\(hex(bytes: $0.element.serializedBytes()))\"}" }
    let svg = try run(SequenceDiagramCommand.self, ["--fold-heartbeats"], stdin: lines.joined(separator: "\n")).text
    #expect(svg.hasPrefix("<svg"))
    #expect(svg.components(separatedBy: "stroke-dasharray").count == 3)
    #expect(svg.contains(">MsgVote t2 i0</text>"))
    #expect(svg.contains(">MsgVoteResp t2 i0</text>"))
}

@Test func snapshotRestoreRefusesFilesWithoutTheirChecksumAndBadFlags() throws {
    let directory = NSTemporaryDirectory() + "ferry-wire-restore-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let file = directory + "/bolt.db"
    #expect(FileManager.default.createFile(atPath: file, contents: Data(repeating: 0, count: 4096)))
    let damaged = try run(SnapshotRestoreCommand.self, [file, "--data-dir", directory + "/m1"])
    #expect(damaged.status == 1)
    #expect(damaged.text == "\(file): sha256 checksum not found [bytes: 4096]: not a snapshot saved from a Ferry member\n")
    #expect(!FileManager.default.fileExists(atPath: directory + "/m1"))
    #expect(throws: ToolError.self) { try run(SnapshotRestoreCommand.self, [file, "--initial-cluster", "other=http://127.0.0.1:1", "--data-dir", directory + "/m2"]) }
    #expect(throws: ToolError.self) { try run(SnapshotRestoreCommand.self, [file, "--data-dir", directory]) }
}
