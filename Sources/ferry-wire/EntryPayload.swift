import Foundation
import Wire

/// What an entry's data means: an InternalRaftRequest (or v2 Request) for EntryNormal, a
/// ConfChange or ConfChangeV2 for conf-change entries, rendered in gogo's compact text
/// format as etcd's tools print them; or whatever an external `--payload-decoder` prints.
struct EntryPayload {
    /// A shell command reading the data on stdin and printing one line.
    var externalDecoder: String?

    func render(_ entry: Entry) -> String {
        let data = entry.data.map { [UInt8]($0) } ?? []
        if let externalDecoder { return Self.run(externalDecoder, data) }
        if data.isEmpty { return "empty" }
        switch entry.type {
        case .entryNormal:
            if (try? InternalRaftRequest(serializedBytes: data)) != nil {
                return "InternalRaftRequest " + ProtoText.render(data, InternalRaftRequest.wireSchema)
            }
            if (try? Request(serializedBytes: data)) != nil { return "Request " + ProtoText.render(data, Request.wireSchema) }
        case .entryConfChange:
            if let change = try? ConfChange(serializedBytes: data) {
                return "ConfChange \(change.type) node=\(String(change.nodeID, radix: 16))"
            }
        case .entryConfChangeV2:
            if let change = try? ConfChangeV2(serializedBytes: data) {
                return "ConfChangeV2 \(change.transition) " + ConfChangeSingle.describe(change.changes)
            }
        default:
            break
        }
        return "undecodable"
    }

    private static func run(_ command: String, _ data: [UInt8]) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            return "payload decoder failed: \(error)"
        }
        input.fileHandleForWriting.write(Data(data))
        try? input.fileHandleForWriting.close()
        let text = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
