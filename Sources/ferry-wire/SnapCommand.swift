import ArgumentParser
import Foundation
import Storage
import Wire

struct SnapTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snap", abstract: "Inspect etcd .snap files.", subcommands: [SnapDump.self])
}

struct SnapDump: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print a .snap file's metadata, conf state, data size and CRC check (every .snap of a directory, newest last).",
        discussion: "Exit status 1 when a file fails its CRC or is empty. Example: ferry-wire snap dump m1/snap")

    @Argument(help: "A .snap file or a snap directory.") var path: String

    func produce(stdin: () throws -> [UInt8]) throws -> ToolOutput {
        let (directory, names): (String, [String])
        if Files.isDirectory(path) {
            directory = path
            names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".snap") }.sorted()
            guard !names.isEmpty else { throw ToolError.unreadable("\(path): no .snap files") }
        } else {
            guard FileManager.default.fileExists(atPath: path) else { throw ToolError.unreadable("cannot read \(path)") }
            let url = URL(fileURLWithPath: path)
            (directory, names) = (url.deletingLastPathComponent().path, [url.lastPathComponent])
        }
        var output = ToolOutput()
        for name in names {
            do {
                let snapshot = try Snapshotter(directory: directory).read(name)
                let meta = snapshot.metadata
                output.line("\(name): index \(meta.index) term \(meta.term), \(snapshot.data?.count ?? 0) data bytes, crc ok")
                output.line("  conf state \(meta.confState.describe)")
            } catch {
                output.line("\(name): \(error)")
                output.status = 1
            }
        }
        return output
    }
}
