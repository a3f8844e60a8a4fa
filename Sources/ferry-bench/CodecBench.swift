import ArgumentParser
import Foundation
import Wire

/// `ferry-bench codec`: encode and decode throughput of raftpb messages in the shapes etcd's
/// codecbench measures (../shared/etcd-tools), printed beside it when it can be built.
struct CodecBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec", abstract: "raftpb encode/decode throughput (run a release build).")

    @Option(help: "Seconds per measurement.") var seconds: Double = 1.0
    @Flag(help: "Measure only the heartbeat round trip (for profiling).") var heartbeatOnly = false
    @Option(help: "A codecbench binary to run beside Ferry (built from ../shared/etcd-tools when absent).")
    var etcdCodecbench: String?

    func run() throws {
        let heartbeat = Message(type: .msgHeartbeat, to: 2, from: 1, term: 5, commit: 1000)
        let entries = (0..<64).map { i in
            Entry(term: 5, index: 1000 + UInt64(i), data: Data((0..<256).map { UInt8(truncatingIfNeeded: $0 &+ i) }))
        }
        let msgApp = Message(type: .msgApp, to: 2, from: 1, term: 5, logTerm: 5, index: 999, entries: entries, commit: 999)
        let big = Message(type: .msgApp, to: 2, from: 1, term: 5, logTerm: 5, index: 1,
                          entries: [Entry(term: 5, index: 2, data: Data(count: 1 << 20))], commit: 1)

        var rows: [(String, Double, Double)] = []
        func measure<M: WireMessage>(_ name: String, _ message: M) -> Double {
            let bytes = message.serializedBytes()
            let encodeRate = rate { _ = message.serializedBytes() }
            let decodeRate = rate { _ = try? M(serializedBytes: bytes) }
            let roundTrip = rate { _ = try? M(serializedBytes: message.serializedBytes()) }
            rows.append(("\(name) encode", encodeRate, encodeRate * Double(bytes.count) / 1e6))
            rows.append(("\(name) decode", decodeRate, decodeRate * Double(bytes.count) / 1e6))
            rows.append(("\(name) round trip", roundTrip, roundTrip * Double(bytes.count) / 1e6))
            return roundTrip * Double(bytes.count)
        }
        if heartbeatOnly {
            let bytes = heartbeat.serializedBytes()
            print(jsonLine(["heartbeats_per_s": rate { _ = try? Message(serializedBytes: heartbeat.serializedBytes()) }.rounded(),
                            "heartbeat_decodes_per_s": rate { _ = try? Message(serializedBytes: bytes) }.rounded()]))
            return
        }
        let heartbeatBytes = measure("heartbeat", heartbeat)
        let msgAppBytes = measure("msgapp 64x256B", msgApp)
        let bigBytes = measure("entry 1 MiB", big)
        let heartbeats = heartbeatBytes / Double(heartbeat.serializedBytes().count)
        let ceiling = ProtobufCCeiling.heartbeatRoundTrips(rate: rate)
        rows.append(("heartbeat rt, protobuf-c only", ceiling, ceiling * Double(heartbeat.serializedBytes().count) / 1e6))
        let put = InternalRaftRequest(
            header: RequestHeader(id: 42), put: PutRequest(key: Data("/registry/pods/default/web-1".utf8), value: Data(count: 256)))
        let putBytes = measure("irr put 256B", put)
        let putsPerSecond = putBytes / Double(put.serializedBytes().count)
        let kvs = (0..<100).map { i in
            KeyValue(key: Data("/registry/key/\(i)".utf8), createRevision: 100 + Int64(i), modRevision: 200 + Int64(i),
                     version: 3, value: Data(count: 256))
        }
        let range = RangeResponse(header: ResponseHeader(clusterID: 1, memberID: 2, revision: 300, raftTerm: 4), kvs: kvs, count: 100)
        let rangeBytes = measure("range response 100 kvs", range)

        print("Ferry codec (protobuf-c), one thread:")
        print("shape".padding(toLength: 32, withPad: " ", startingAt: 0) + "      msgs/s        MB/s")
        for (name, perSecond, mb) in rows {
            print(name.padding(toLength: 32, withPad: " ", startingAt: 0)
                  + String(format: "%12.0f %11.1f", perSecond, mb))
        }
        if let etcd = etcdFigures() { print("etcd codecbench (gogo, GOMAXPROCS=1): \(etcd)") } else {
            print("etcd codecbench: not available (../shared/etcd-tools has no codecbench source here)")
        }
        let figures: [String: Double] = [
            "heartbeats_per_s": heartbeats.rounded(),
            "protobuf_c_heartbeats_per_s": ceiling.rounded(),
            "msgapp64_mb_per_s": (msgAppBytes / 1e6 * 10).rounded() / 10,
            "entry1m_mb_per_s": (bigBytes / 1e6 * 10).rounded() / 10,
            "irr_put_per_s": putsPerSecond.rounded(),
            "range100_mb_per_s": (rangeBytes / 1e6 * 10).rounded() / 10,
        ]
        print(jsonLine(figures))
    }

    /// Calls per second of `body` over `seconds`.
    func rate(_ body: () -> Void) -> Double {
        var calls = 0
        var batch = 1
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed: UInt64 = 0
        while elapsed < UInt64(seconds * 1e9) {
            for _ in 0..<batch { body() }
            calls += batch
            batch = min(batch * 2, 4096)
            elapsed = DispatchTime.now().uptimeNanoseconds - start
        }
        return Double(calls) / (Double(elapsed) / 1e9)
    }

    /// etcd's codecbench output, when a binary is given or can be built.
    func etcdFigures() -> String? {
        var path = etcdCodecbench
        if path == nil {
            let build = "../shared/etcd-tools/build.sh"
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-codecbench").path
            if FileManager.default.fileExists(atPath: "../shared/etcd-tools/codecbench/main.go"),
               runProcess("/bin/bash", [build, "codecbench", out]) != nil {
                path = out
            }
        }
        guard let path else { return nil }
        return runProcess(path, [], environment: ["GOMAXPROCS": "1"])?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Runs a program and returns its standard output, nil when it fails.
func runProcess(_ path: String, _ arguments: [String], environment: [String: String] = [:]) -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self)
}

/// One JSON object on one line, keys sorted.
func jsonLine(_ figures: [String: Double]) -> String {
    let body = figures.keys.sorted().map { key in
        let value = figures[key]!
        let text = value == value.rounded() ? String(Int64(value)) : String(value)
        return "\"\(key)\":\(text)"
    }
    return "{" + body.joined(separator: ",") + "}"
}
