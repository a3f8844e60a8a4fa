import HTTP2
import TestSupport
import Transport
import Wire

/// Collects what a transport delivers and tells its owner; a test waits on any of it.
final class Inbox: TransportDelegate, Sendable {
    struct Seen: Sendable {
        var messages: [Message] = []
        var countFrom: [UInt64: Int] = [:]
        var snapshots: [Message] = []
        /// What each snapshot's sink was given, and whether it was finished.
        var snapshotBytes: [UInt64: [UInt8]] = [:]
        var finishedSnapshots: Set<UInt64> = []
        var unreachable = 0
        var snapshotReports: [(id: UInt64, succeeded: Bool)] = []
        var events: [TransportEvent] = []
    }

    let seen = Observed(Seen())

    func transportMembers() -> String? { #"[{"id":1,"peerURLs":["http://127.0.0.1:1"],"name":"m1","clientURLs":[]}]"# }
    func transport(promote id: UInt64) -> (status: HTTPStatus, body: String) { (.ok, "promoted \(id)") }
    func transport(received message: Message) {
        seen.update { seen in
            seen.messages.append(message)
            seen.countFrom[message.from, default: 0] += 1
        }
    }
    func transport(receivedSnapshot message: Message) { seen.update { $0.snapshots.append(message) } }
    func transport(snapshotSinkFor message: Message) throws -> SnapshotSink {
        let index = message.snapshot.metadata.index
        return SnapshotSink(write: { bytes in self.seen.update { $0.snapshotBytes[index, default: []] += bytes } },
                            finish: { self.seen.update { _ = $0.finishedSnapshots.insert(index) } },
                            abandon: { self.seen.update { $0.snapshotBytes[index] = nil } })
    }
    func transport(peerUnreachable id: UInt64) { seen.update { $0.unreachable += 1 } }
    func transport(snapshotSentTo id: UInt64, succeeded: Bool) { seen.update { $0.snapshotReports.append((id, succeeded)) } }
    func transport(observed event: TransportEvent) { seen.update { $0.events.append(event) } }

    var received: [Message] { seen.value.messages }
    var unreachableCount: Int { seen.value.unreachable }

    /// Waits until `count` messages have been delivered; answers them.
    @discardableResult
    func waitFor(count: Int) throws -> [Message] {
        try seen.waitBlocking(for: "\(count) messages delivered") { $0.messages.count >= count }.messages
    }

    /// Waits until what was seen satisfies `condition`.
    @discardableResult
    func wait(_ what: String, until condition: (Seen) -> Bool) throws -> Seen {
        try seen.waitBlocking(for: what, until: condition)
    }
}
