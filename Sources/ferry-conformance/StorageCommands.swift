import ArgumentParser
import Foundation
import Conformance

struct WALCases: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal", abstract: "WAL cases: every subfolder of DIR with an expected.json (run on temporary copies).")

    @Argument(help: "A directory of WAL cases.") var directory: String

    func run() throws { try finish(WALRunner.run(directory: directory)) }
}

struct SnapCases: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snap", abstract: "A folder of .snap files with its expected.json (run on a temporary copy).")

    @Argument(help: "A directory of .snap files.") var directory: String

    func run() throws { try finish(SnapRunner.run(directory: directory)) }
}

struct DataDirs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datadirs", abstract: "Captured data dirs: every member folder mN/ of every capture under DIR, read as etcd recovers it.")

    @Argument(help: "A directory of captures.") var directory: String

    func run() throws { try finish(DataDirRunner.run(directory: directory)) }
}

struct WALKill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal-kill", abstract: "Crash test: SIGKILL a WAL writer at random moments and check every acknowledged entry.")

    @Option(help: "How many kills.") var kills: Int = 200
    @Option(help: "Seed of the kill timing.") var seed: UInt64 = 1
    @Option(help: "Directory for the WAL (default: a new temporary folder).") var dir: String?

    func run() throws {
        let directory = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("ferry-walkill-\(UUID().uuidString)").path
        let executable = CommandLine.arguments[0].hasPrefix("/")
            ? CommandLine.arguments[0] : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]
        try finish(WALKillTest.run(executable: executable, kills: kills, directory: directory, seed: seed))
    }
}

struct WALKillChild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal-kill-child", abstract: "The writer wal-kill starts and kills.", shouldDisplay: false)

    @Argument var directory: String

    func run() throws { try WALKillTest.child(directory: directory) }
}
