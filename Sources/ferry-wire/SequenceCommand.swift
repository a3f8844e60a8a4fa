import ArgumentParser
import Capture
import Wire

struct SequenceDiagramCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "sequence",
        abstract: "Draw an SVG message sequence diagram of a capture (pcap/pcapng) or a messages.jsonl list.",
        discussion: "Example: ferry-wire sequence peers.pcapng --fold-heartbeats --limit 200 > seq.svg")

    @Argument(help: "A pcap/pcapng file or messages.jsonl; stdin when absent or '-'.") var file: String?
    @Flag(help: "Draw each run of heartbeats between two members as one arrow with a count.") var foldHeartbeats = false
    @Option(help: "Draw at most this many messages (after folding).") var limit: Int?

    func produce(stdin: () throws -> [UInt8]) throws -> ToolOutput {
        let bytes = try InputOptions.contents(file, stdin: stdin)
        var diagram = SequenceDiagram(try messages(bytes))
        if foldHeartbeats { diagram.foldHeartbeats() }
        if let limit { diagram.arrows = Array(diagram.arrows.prefix(max(0, limit))) }
        return ToolOutput(text: diagram.svg())
    }

    /// The timed messages of a capture file, or of messages.jsonl lines (`time` and `hex`).
    private func messages(_ bytes: [UInt8]) throws -> [(time: Double, message: Message)] {
        if bytes.first != UInt8(ascii: "{") {
            do {
                return try RaftTraffic(captureFile: bytes).messages.map { ($0.time, $0.message) }
            } catch {
                throw ToolError.unreadable("\(error)")
            }
        }
        var out: [(time: Double, message: Message)] = []
        for (number, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n").enumerated() {
            do {
                let value = try JSONValue(parsing: String(line))
                guard case .number(let time)? = value["time"], let hex = value["hex"]?.stringValue, let raw = hexBytes(hex) else {
                    throw ToolError.unreadable("line \(number + 1): needs `time` and `hex`")
                }
                out.append((time, try Message(serializedBytes: raw)))
            } catch let error as ToolError {
                throw error
            } catch {
                throw ToolError.unreadable("line \(number + 1): \(error)")
            }
        }
        return out
    }
}
