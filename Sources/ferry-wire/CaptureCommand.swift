import ArgumentParser
import Capture
import Foundation
import Wire

struct CaptureList: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "List the raft messages of a pcap/pcapng capture of peer traffic in time order: time, from → to, channel, describe.",
        discussion: """
            Reads etcd's HTTP/1.1 rafthttp and Ferry's HTTP/2 peer traffic. --json prints messages.jsonl's lines. \
            Exit status 1 when a body held something that is not raft messages.
            Example: ferry-wire capture peers.pcapng --json > messages.jsonl
            """)

    @Argument(help: "A pcap or pcapng file; stdin when absent or '-'.") var file: String?
    @Flag(help: "Print messages.jsonl's lines.") var json = false

    func produce(stdin: () throws -> [UInt8]) throws -> ToolOutput {
        let traffic: RaftTraffic
        do {
            traffic = try RaftTraffic(captureFile: InputOptions.contents(file, stdin: stdin))
        } catch let error as CaptureError {
            throw ToolError.unreadable("\(error)")
        }
        var output = ToolOutput()
        for message in traffic.messages {
            if json {
                output.line(message.jsonLine.serialized())
            } else {
                let m = message.message
                let time = String(format: "%.6f", message.time)
                output.line("\(time) \(String(m.from, radix: 16)) → \(String(m.to, radix: 16)) \(message.channel.rawValue) \(message.describe)")
            }
        }
        for problem in traffic.problems { output.line("PROBLEM \(problem)") }
        output.status = traffic.problems.isEmpty ? 0 : 1
        return output
    }
}
