import ArgumentParser
import Wire

struct Decode: ToolCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode a protobuf message (raftpb.Message by default): describe, JSON lines or an annotated byte view.",
        discussion: """
            Entries' data is decoded by entry type (InternalRaftRequest, ConfChange, ConfChangeV2) \
            or by --payload-decoder. Malformed input is reported with the byte offset where it fails.
            Examples: ferry-wire decode --hex msg.hex; ferry-wire decode --stream conn-006-stream-message.bin
            """)

    @OptionGroup var input: InputOptions
    @Option(help: "Message type, full or short proto name.") var type = "raftpb.Message"
    @Flag(help: "Print one JSON object per message.") var json = false
    @Flag(help: "Print each field's byte range, number, wire type, name and value.") var annotate = false
    @Flag(help: "The input is a stream of 8-byte big-endian lengths, each followed by a message.") var stream = false
    @Option(help: "A shell command that reads an entry's data on stdin and prints its meaning.") var payloadDecoder: String?

    func produce(stdin: () throws -> [UInt8]) throws -> ToolOutput {
        if json && annotate { throw ToolError.usage("--json and --annotate exclude each other") }
        let messageType = try MessageTypeName.resolve(type)
        let bytes = try input.read(stdin: stdin)
        var output = ToolOutput()
        for (offset, payload) in try frames(bytes) {
            let message = try MessageTypeName.decode(payload, as: messageType)
            if stream && !json { output.line("@\(offset)") }
            if json {
                output.line(message.jsonValue(.jsonName).serialized())
            } else if annotate {
                output.text += try ProtoText.annotate(payload, messageType.wireSchema)
            } else {
                output.text += describe(message)
            }
        }
        return output
    }

    /// The messages' bytes and where each frame starts.
    private func frames(_ bytes: [UInt8]) throws -> [(Int, [UInt8])] {
        guard stream else { return [(0, bytes)] }
        var decoder = MessageStreamDecoder()
        decoder.feed(bytes)
        var out: [(Int, [UInt8])] = []
        do {
            while let frame = try decoder.nextFrame() { out.append((frame.offset, frame.payload)) }
            try decoder.finish()
        } catch {
            throw ToolError.decoding("stream", error)
        }
        return out
    }

    /// etcd's describe for a Message or Entry, with each entry's decoded payload beneath;
    /// JSON for other types.
    private func describe(_ message: any WireMessage) -> String {
        let payload = EntryPayload(externalDecoder: payloadDecoder)
        if let m = message as? Message {
            return m.describe + "\n" + m.entries.map { "  \($0.term)/\($0.index) \($0.type): \(payload.render($0))\n" }.joined()
        }
        if let entry = message as? Entry {
            return entry.describe + "\n  payload: \(payload.render(entry))\n"
        }
        return message.jsonValue(.jsonName).serialized() + "\n"
    }
}
