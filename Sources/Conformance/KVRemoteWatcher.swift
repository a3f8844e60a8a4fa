import Foundation
import GRPC
import NIOCore
import Wire

/// One transcript watcher on a Watch stream of its own.
///
/// etcd replays a watcher's history from a background loop (every 100 ms), and its stream
/// delivers in order; to know when everything due has arrived, the stream gets a probe: a
/// watcher over every key from revision 1, whose first answer (old events, or the notice
/// that they were compacted) comes from that loop's next round. Once it is in, the round
/// that caught the watcher up has read its events, and whatever the stream was sent before
/// has arrived. (Ferry replays history at once; the probe then answers at once too.)
final class KVRemoteWatcher: @unchecked Sendable {
    let label: String
    private let timeout: TimeAmount
    private var call: GRPCClientCall!
    private var createsSent = 0
    /// The transcript watcher's ID, from its created response.
    private var id: Int64?

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var received: [WatchResponse] = []
    private var ended: GRPCStatus?

    init(label: String, client: GRPCClient, timeout: TimeAmount) {
        self.label = label
        self.timeout = timeout
        call = client.makeCall(
            path: "/etcdserverpb.Watch/Watch",
            onMessage: { [weak self] bytes in self?.receive(bytes) },
            onFinish: { [weak self] status in self?.end(status) })
    }

    func close() { call.cancel() }

    /// Creates the transcript's watcher; answers its created response.
    func create(_ request: WatchCreateRequest) throws -> WatchResponse {
        let created = try send(request)
        id = created.watchID
        return created
    }

    /// Waits until the watcher is caught up with revision `revision` (the store's now) and
    /// every response due to it up to there has arrived.
    func catchUp(revision: Int64) throws {
        // A store at revision 1 has no history: nothing to wait for.
        guard revision >= 2 else { return }
        let probe = try send(WatchCreateRequest(key: Data([0]), rangeEnd: Data([0]), startRevision: 1)).watchID
        _ = try wait("the probe's first events") { received in
            received.first { $0.watchID == probe && (!$0.events.isEmpty || $0.compactRevision != 0 || $0.canceled) }
        }
        send(WatchRequest(requestUnion: .cancelRequest(WatchCancelRequest(watchID: probe))))
    }

    /// Cancels the watcher and waits for its canceled response (none is waited for when the
    /// server had already canceled it).
    func cancel() throws {
        guard let id, !responses.contains(where: \.canceled) else { return }
        send(WatchRequest(requestUnion: .cancelRequest(WatchCancelRequest(watchID: id))))
        _ = try wait("the canceled response") { received in received.first { $0.watchID == id && $0.canceled } }
    }

    /// What the watcher received so far, its created response first.
    var responses: [WatchResponse] {
        condition.lock()
        defer { condition.unlock() }
        return received.filter { $0.watchID == id }
    }

    /// Creates a watcher on the stream; answers its created response (watchers are created,
    /// and answered, in the order asked).
    private func send(_ request: WatchCreateRequest) throws -> WatchResponse {
        let index = createsSent
        createsSent += 1
        send(WatchRequest(requestUnion: .createRequest(request)))
        return try wait("a created response") { received in received.filter(\.created).dropFirst(index).first }
    }

    private func send(_ request: WatchRequest) { call.send(request.serializedBytes()) }

    private func wait<Found>(_ what: String, for found: ([WatchResponse]) -> Found?) throws -> Found {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: Double(timeout.nanoseconds) / 1e9)
        while true {
            if let result = found(received) { return result }
            if let ended { throw RemoteError("watcher \(label): its stream ended (\(ended)) before \(what)") }
            if !condition.wait(until: deadline) { throw RemoteError("watcher \(label): no \(what) within \(timeout.nanoseconds / 1_000_000_000) s") }
        }
    }

    private func receive(_ bytes: [UInt8]) {
        let response: WatchResponse
        do { response = try WatchResponse(serializedBytes: bytes) } catch {
            return end(.internalError("cannot decode a WatchResponse: \(error)"))
        }
        condition.lock()
        received.append(response)
        condition.broadcast()
        condition.unlock()
    }

    private func end(_ status: GRPCStatus) {
        condition.lock()
        ended = ended ?? status
        condition.broadcast()
        condition.unlock()
    }
}
