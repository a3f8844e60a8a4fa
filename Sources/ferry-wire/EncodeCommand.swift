import ArgumentParser
import Wire

struct Encode: ToolCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode JSON lines (the JSON mapping `decode --json` prints) into protobuf bytes.",
        discussion: "Example: echo '{\"type\":\"MsgHeartbeat\",\"to\":\"2\",\"from\":\"1\"}' | ferry-wire encode --hex")

    @Argument(help: "JSON-lines file; stdin when absent or '-'.") var file: String?
    @Option(help: "Message type, full or short proto name.") var type = "raftpb.Message"
    @Flag(help: "Print one hex line per message instead of raw bytes.") var hex = false
    @Flag(help: "Frame each message with an 8-byte big-endian length (a rafthttp message stream).") var stream = false

    func produce(stdin: () throws -> [UInt8]) throws -> ToolOutput {
        let messageType = try MessageTypeName.resolve(type)
        let text = String(decoding: try InputOptions.contents(file, stdin: stdin), as: UTF8.self)
        var output = ToolOutput()
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            let message: any WireMessage
            do {
                message = try messageType.init(jsonValue: try JSONValue(parsing: String(line)), style: .jsonName)
            } catch {
                throw ToolError.unreadable("line \(number + 1): \(error)")
            }
            var bytes = message.serializedBytes()
            if stream { bytes = MessageStream.frame(payload: bytes) }
            if hex { output.line(Wire.hex(bytes: bytes)) } else { output.bytes += bytes }
        }
        return output
    }
}
