import Foundation
import TestSupport
import Testing
@testable import Server

@Suite("flags and IDs as etcd has them")
struct ConfigurationTests {
    /// The flags ../shared/captures/README.md gives for its clusters.
    func captureFlags(_ n: Int, token: String = "capture-basic") -> [String: String] {
        [
            "name": "m\(n)", "data-dir": "/tmp/m\(n)",
            "listen-client-urls": "http://127.0.0.1:2379\(n)", "advertise-client-urls": "http://127.0.0.1:2379\(n)",
            "listen-peer-urls": "http://127.0.0.1:2380\(n)", "initial-advertise-peer-urls": "http://127.0.0.1:2380\(n)",
            "initial-cluster": "m1=http://127.0.0.1:23801,m2=http://127.0.0.1:23802,m3=http://127.0.0.1:23803",
            "initial-cluster-state": "new", "initial-cluster-token": token,
        ]
    }

    @Test("the same flags give the IDs etcd gave the captured cluster")
    func idsMatchTheCapture() throws {
        let ids = try (1...3).map { String(try ServerConfiguration(flags: captureFlags($0)).memberID, radix: 16) }
        #expect(ids == ["2aa658a73d83cbc", "3326dd21985eaf87", "eb9196d63814ac16"])
        #expect(String(try ServerConfiguration(flags: captureFlags(1)).clusterID, radix: 16) == "9109f92f4d11a43c")
    }

    @Test("the captures' own headers carry those IDs", .enabled(if: canRun(needing: "../shared/captures/etcd-3.4.23-basic/http.jsonl")))
    func idsInCaptureHeaders() throws {
        let text = try String(contentsOfFile: "../shared/captures/etcd-3.4.23-basic/http.jsonl", encoding: .utf8)
        let mine = try (1...3).map { String(try ServerConfiguration(flags: captureFlags($0)).memberID, radix: 16) }
        for id in mine { #expect(text.contains("\"X-Server-From\": \"\(id)\"")) }
        #expect(text.contains("9109f92f4d11a43c"))
    }

    @Test("without flags a member runs on etcd's defaults, its data in <name>.ferry")
    func defaults() throws {
        let config = try ServerConfiguration(flags: [:])
        #expect(config.name == "default")
        #expect(config.dataDir == "default.ferry")
        #expect(config.listenClientURLs == ["http://localhost:2379"])
        #expect(config.initialCluster.peerURLs(of: "default") == ["http://localhost:2380"])
        #expect(config.heartbeatInterval == 100 && config.electionTimeout == 1000)
    }

    @Test("environment variables stand in for flags; flags win")
    func environment() throws {
        let env = ["ETCD_NAME": "envname", "ETCD_INITIAL_CLUSTER_TOKEN": "tok"]
        let config = try ServerConfiguration(flags: [:], environment: env)
        #expect(config.name == "envname")
        #expect(config.initialClusterToken == "tok")
        #expect(config.initialCluster.peerURLs(of: "envname") == ["http://localhost:2380"])
        #expect(try ServerConfiguration(flags: ["name": "flag"], environment: env).name == "flag")
    }

    @Test("bad flags and inconsistent clusters get etcd's messages")
    func refusals() {
        #expect(throws: ConfigurationError.inconsistent("--election-timeout[400ms] should be at least as 5 times as --heartbeat-interval[100ms]")) {
            try ServerConfiguration(flags: ["election-timeout": "400"])
        }
        #expect(throws: ConfigurationError.inconsistent("couldn't find local name \"m9\" in the initial cluster configuration")) {
            var flags = captureFlags(1)
            flags["name"] = "m9"
            return try ServerConfiguration(flags: flags)
        }
        #expect(throws: ConfigurationError.inconsistent("--initial-cluster has m1=http://127.0.0.1:23801 but missing from --initial-advertise-peer-urls=http://127.0.0.1:9999")) {
            var flags = captureFlags(1)
            flags["initial-advertise-peer-urls"] = "http://127.0.0.1:9999"
            return try ServerConfiguration(flags: flags)
        }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(flags: ["initial-cluster-state": "maybe"]) }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(flags: ["listen-client-urls": "localhost:2379"]) }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(flags: ["initial-cluster": "a=http://x:1,b"]) }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(flags: ["no-such-flag": "1"]) }
    }
}
