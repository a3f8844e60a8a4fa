import ArgumentParser
import Conformance

struct Raft: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft", abstract: "etcd 3.4 raft interaction scripts: every *.txt under DIR, recursively.")

    @Argument(help: "A directory of interaction scripts.") var directory: String
    @Flag(help: "Compare log lines too (informational: Ferry's log wording need not match etcd's).") var strict = false

    func run() throws { try finish(RaftInteractionRunner.run(directory: directory, strict: strict)) }
}
