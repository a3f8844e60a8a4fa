import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import Transport
import Wire

/// `ferry-bench transport`: two transports on loopback; heartbeats/s, MsgApp payload MB/s,
/// and the one-way latency of heartbeats sent while MsgApp load runs.
struct TransportBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport", abstract: "Peer transport throughput and latency over loopback (release build).")

    @Option(help: "Seconds per measurement.") var seconds: Double = 3.0

    /// Counts what member 2 receives; heartbeats carry their send time in `commit`.
    final class Receiver: TransportDelegate, @unchecked Sendable {
        let lock = NSLock()
        var messages = 0
        var payloadBytes = 0
        var latencies: [Double] = []

        func transport(received message: Message) {
            let now = DispatchTime.now().uptimeNanoseconds
            lock.lock()
            messages += 1
            if message.type == .msgApp {
                payloadBytes += message.entries.reduce(0) { $0 + ($1.data?.count ?? 0) }
            } else if message.index == 1, message.commit > 0 {
                latencies.append(Double(now - message.commit) / 1e6)
            }
            lock.unlock()
        }
        func transport(receivedSnapshot message: Message) {}
        func transport(peerUnreachable id: UInt64) {}

        var received: Int { lock.withLock { messages } }
    }

    final class Sink: TransportDelegate, @unchecked Sendable {
        func transport(received message: Message) {}
        func transport(receivedSnapshot message: Message) {}
        func transport(peerUnreachable id: UInt64) {}
    }

    func run() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let receiver = Receiver()
        let sink = Sink()
        let sender = Transport(configuration: .init(localID: 1, clusterID: 7, peerURLs: []), eventLoop: group.next(), delegate: sink)
        let target = Transport(configuration: .init(localID: 2, clusterID: 7, peerURLs: []), eventLoop: group.next(), delegate: receiver)
        let senderPort = try sender.start(host: "127.0.0.1", port: 0).wait()
        let targetPort = try target.start(host: "127.0.0.1", port: 0).wait()
        sender.addPeer(id: 2, host: "127.0.0.1", port: targetPort)
        target.addPeer(id: 1, host: "127.0.0.1", port: senderPort)
        while try !sender.peerStatus(id: 2).wait().active { usleep(5_000) }
        defer {
            _ = try? sender.stop().wait()
            _ = try? target.stop().wait()
        }

        let heartbeat = Message(type: .msgHeartbeat, to: 2, from: 1, term: 5, commit: 0)
        let heartbeats = pump(sender, receiver, batch: Array(repeating: heartbeat, count: 512)) / seconds

        let entries = (0..<64).map { Entry(term: 5, index: UInt64($0), data: Data(count: 256)) }
        let msgApp = Message(type: .msgApp, to: 2, from: 1, term: 5, logTerm: 5, index: 0, entries: entries)
        receiver.lock.withLock { receiver.payloadBytes = 0; receiver.latencies = [] }
        let stopProbes = ManagedAtomicFlag()
        let probes = Thread {
            while !stopProbes.isSet {
                var probe = heartbeat
                probe.index = 1
                probe.commit = DispatchTime.now().uptimeNanoseconds
                sender.send([probe])
                usleep(1_000)
            }
        }
        probes.start()
        _ = pump(sender, receiver, batch: Array(repeating: msgApp, count: 16))
        stopProbes.set()
        let (payload, latencies) = receiver.lock.withLock { (receiver.payloadBytes, receiver.latencies.sorted()) }
        let mbPerSecond = Double(payload) / 1e6 / seconds
        let p50 = latencies.isEmpty ? 0 : latencies[latencies.count / 2]
        let p99 = latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, latencies.count * 99 / 100)]

        // Large messages arrive in many reads: what the stream reader does per read must not
        // grow with what it has buffered.
        let large = (0..<4).map { Entry(term: 5, index: UInt64($0), data: Data(count: 1 << 20)) }
        let largeApp = Message(type: .msgApp, to: 2, from: 1, term: 5, logTerm: 5, index: 0, entries: large)
        receiver.lock.withLock { receiver.payloadBytes = 0 }
        _ = pump(sender, receiver, batch: [largeApp, largeApp])
        let largeMBPerSecond = Double(receiver.lock.withLock { receiver.payloadBytes }) / 1e6 / seconds

        print("Ferry transport, two members on loopback, \(seconds) s each:")
        print(String(format: "heartbeats           %12.0f msgs/s", heartbeats))
        print(String(format: "msgapp 64x256B       %12.1f MB/s of entry payload", mbPerSecond))
        print(String(format: "msgapp 4x1MiB        %12.1f MB/s of entry payload", largeMBPerSecond))
        print(String(format: "heartbeat under load %12.3f ms p50, %.3f ms p99 (%d probes)", p50, p99, latencies.count))
        print(jsonLine([
            "heartbeats_per_s": heartbeats.rounded(), "msgapp_mb_per_s": (mbPerSecond * 10).rounded() / 10,
            "msgapp_large_mb_per_s": (largeMBPerSecond * 10).rounded() / 10,
            "heartbeat_p50_ms": (p50 * 1000).rounded() / 1000, "heartbeat_p99_ms": (p99 * 1000).rounded() / 1000,
        ]))
    }

    /// Sends `batch` over and over for `seconds`, keeping at most a few batches in flight;
    /// returns how many messages arrived.
    func pump(_ sender: Transport, _ receiver: Receiver, batch: [Message]) -> Double {
        let start = receiver.received
        var sent = 0
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if sent - (receiver.received - start) < batch.count * 8 {
                sender.send(batch)
                sent += batch.count
            } else {
                usleep(50)
            }
        }
        return Double(receiver.received - start)
    }
}

/// A flag one thread sets and another polls.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
