import ArgumentParser
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
