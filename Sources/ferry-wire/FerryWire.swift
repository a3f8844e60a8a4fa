import ArgumentParser
import Foundation

/// `ferry-wire`: wire-level debugging tools for etcd 3.4's formats. Exit status 0 when all is
/// well, 1 when damage or a difference was found, 2 for bad usage or unreadable input.
@main
struct FerryWire: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry-wire",
        abstract: "Decode, encode, diff and inspect etcd 3.4 wire data: raft messages, WAL, snapshots, packet captures.",
        subcommands: [Decode.self, Encode.self, Diff.self, WALTool.self, SnapTool.self, SnapshotTool.self, CaptureList.self, SequenceDiagramCommand.self])

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as ToolError {
            FileHandle.standardError.write(Data("ferry-wire: \(error)\n".utf8))
            Foundation.exit(error.exitStatus)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(error is ExitCode ? code.rawValue : ToolError.usageStatus)
        }
    }
}

/// What a subcommand produced: text (or bytes) for stdout and its exit status.
struct ToolOutput: Equatable {
    var text = ""
    var bytes: [UInt8] = []
    /// 0 ok, 1 damage or difference found.
    var status: Int32 = 0

    mutating func line(_ text: String) { self.text += text + "\n" }
}

/// A subcommand whose work is a function of its arguments and stdin, so tests can run it.
protocol ToolCommand: ParsableCommand {
    func produce(stdin: () throws -> [UInt8]) throws -> ToolOutput
}

extension ToolCommand {
    func run() throws {
        let output = try produce(stdin: { [UInt8](FileHandle.standardInput.readDataToEndOfFile()) })
        FileHandle.standardOutput.write(Data(output.text.utf8))
        FileHandle.standardOutput.write(Data(output.bytes))
        if output.status != 0 { throw ExitCode(output.status) }
    }
}
