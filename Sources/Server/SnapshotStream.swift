import Foundation
import GRPC
import NIOCore
import Wire

/// One `Maintenance/Snapshot` call, as etcd's maintenanceServer sends it: the database in
/// 32 KiB messages, each with the bytes still to come, then one message holding the SHA-256
/// of all of them (remaining 0). Ferry's database is its KV snapshot, taken on the node's loop
/// and laid out as `SnapshotFile`. Sending pauses while the connection has a megabyte queued;
/// state is touched on the call's event loop only.
final class SnapshotStream: @unchecked Sendable {
    static let chunkSize = 32 * 1024
    static let queueLimit = 1 << 20

    let call: GRPCServerCall
    let node: MemberLoop
    let database: [UInt8]
    private var sent = 0
    private var closed = false
    private let started = NIODeadline.now()

    private init(call: GRPCServerCall, node: MemberLoop, database: [UInt8]) {
        self.call = call
        self.node = node
        self.database = database
    }

    /// Serves the call (a GRPCMethod): the snapshot is taken when the request has arrived.
    static func serve(_ call: GRPCServerCall, node: MemberLoop) {
        call.onEnd = {
            node.eventLoop.submit { node.snapshotImage() }.flatMap { image in
                // Encoded off the loop: a large store would stall it.
                let promise = node.eventLoop.makePromise(of: [UInt8].self)
                BackgroundWork.run { promise.succeed(SnapshotFile.database(kv: image.serialized())) }
                return promise.futureResult
            }.whenComplete { result in
                switch result {
                case .success(let database):
                    let stream = SnapshotStream(call: call, node: node, database: database)
                    call.pendingBytes.whenSuccess { _ in
                        call.onClose = { stream.closed = true }
                        stream.start()
                    }
                case .failure(let error):
                    call.finish(KVService.status(error))
                }
            }
        }
    }

    private func start() {
        node.logger.info("sending database snapshot to client", metadata: ["total-bytes": "\(database.count)"])
        pump()
    }

    /// Sends what fits under the queue limit, then waits for the queue to drain.
    private func pump() {
        guard !closed else { return }
        let queued = call.pendingBytes
        queued.whenSuccess { [self] pending in
            guard !closed else { return }
            var room = Self.queueLimit - pending
            while room > 0, sent < database.count {
                let end = min(sent + Self.chunkSize, database.count)
                let blob = Data(database[sent..<end])
                sent = end
                call.send(SnapshotResponse(remainingBytes: UInt64(database.count - sent), blob: blob).serializedBytes())
                room -= blob.count
            }
            guard sent == database.count else {
                queued.eventLoop.scheduleTask(in: .milliseconds(2)) { self.pump() }
                return
            }
            finish()
        }
    }

    private func finish() {
        let digest = SnapshotFile.digest(database)
        node.logger.info("sending database sha256 checksum to client", metadata: [
            "total-bytes": "\(database.count)", "checksum-size": "\(digest.count)",
        ])
        call.send(SnapshotResponse(remainingBytes: 0, blob: Data(digest)).serializedBytes())
        call.finish(.ok)
        let took = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        node.logger.info("successfully sent database snapshot to client", metadata: [
            "total-bytes": "\(database.count)", "took": "\(String(format: "%.3f", took))s",
        ])
    }
}
