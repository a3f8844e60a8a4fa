import ArgumentParser
import Conformance

struct Captures: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Captures of real etcd clusters: conn-file stream frames, the message list read from peers.pcapng, and each member's WAL.")

    @Argument(help: "A directory of capture folders (each with messages.jsonl).") var directory: String

    func run() throws { try finish(CaptureRunner.run(directory: directory)) }
}
