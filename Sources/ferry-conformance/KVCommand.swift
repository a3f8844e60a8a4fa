import ArgumentParser
import Conformance

struct KVTranscripts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv", abstract: "KV transcripts: a .jsonl file, or every *.jsonl directly in DIR (one count per file).")

    @Argument(help: "A transcript file or directory.") var path: String

    func run() throws { try finish(KVRunner.run(path: path)) }
}
