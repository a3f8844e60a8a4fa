import ArgumentParser
import Conformance

struct KVTranscripts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv", abstract: "KV transcripts: a .jsonl file, or every *.jsonl directly in DIR (one count per file).")

    @Argument(help: "A transcript file or directory.") var path: String
    @Option(help: "Replay through the gRPC API of a running, fresh cluster (Ferry or etcd) at these client endpoints, HOST:PORT[,...], instead of an in-process store.")
    var endpoints: String?

    func run() throws {
        let endpoints = endpoints.map { $0.split(separator: ",").map { String($0) } }
        try finish(KVRunner.run(path: path, endpoints: endpoints))
    }
}
