import Foundation
import GRPC
import NIOCore
import NIOPosix
import Wire

/// Puts through one member's gRPC port, many in flight, for load the lifecycle checks need
/// in volume (etcdctl would spend its time starting processes). Blocking calls.
final class LifecycleLoad: @unchecked Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    deinit { try? group.syncShutdownGracefully() }

    /// Puts every pair through `endpoint` with `inFlight` requests outstanding; the keys whose
    /// put was acknowledged, and the first failure seen.
    func put(_ pairs: [(key: String, value: [UInt8])], endpoint: String, inFlight: Int = 32,
             timeout: TimeAmount = .seconds(5)) -> (acknowledged: Set<String>, failure: String?) {
        let parts = endpoint.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { return ([], "bad endpoint \(endpoint)") }
        let client: GRPCClient
        do { client = try GRPCClient.connect(host: String(parts[0]), port: port, group: group).wait() } catch {
            return ([], "\(error)")
        }
        defer { _ = try? client.close().wait() }
        var acknowledged: Set<String> = []
        var failure: String?
        var next = 0
        while next < pairs.count {
            let batch = pairs[next..<min(pairs.count, next + inFlight)]
            next += batch.count
            let futures = batch.map { pair in
                call(client, "/etcdserverpb.KV/Put",
                     PutRequest(key: Data(pair.key.utf8), value: Data(pair.value)).serializedBytes(), timeout: timeout)
                    .map { _ in pair.key }
            }
            for future in futures {
                do { acknowledged.insert(try future.wait()) } catch { failure = failure ?? "\(error)" }
            }
        }
        return (acknowledged, failure)
    }

    /// Compacts the store at `revision` through `endpoint`.
    func compact(revision: Int64, endpoint: String) -> String? {
        let parts = endpoint.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { return "bad endpoint \(endpoint)" }
        do {
            let client = try GRPCClient.connect(host: String(parts[0]), port: port, group: group).wait()
            defer { _ = try? client.close().wait() }
            _ = try call(client, "/etcdserverpb.KV/Compact", CompactionRequest(revision: revision).serializedBytes(),
                         timeout: .seconds(5)).wait()
            return nil
        } catch {
            return "\(error)"
        }
    }

    private func call(_ client: GRPCClient, _ path: String, _ bytes: [UInt8], timeout: TimeAmount) -> EventLoopFuture<[UInt8]> {
        let promise = client.eventLoop.makePromise(of: [UInt8].self)
        // Both callbacks run on the client's event loop, one after the other.
        nonisolated(unsafe) var answer: [UInt8]?
        let call = client.makeCall(path: path, timeout: timeout, metadata: [],
                                   onMessage: { answer = answer ?? $0 },
                                   onFinish: { status in
                                       if status.code == .ok, let answer { promise.succeed(answer) } else { promise.fail(status) }
                                   })
        call.send(bytes)
        call.closeSend()
        return promise.futureResult
    }
}
