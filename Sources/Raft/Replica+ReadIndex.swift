import Foundation
import Wire

extension Replica {
    /// A read-index request: answered with the commit index once the leader knows it
    /// still leads (and has committed an entry of its term, so the index is current).
    mutating func handleReadIndex(_ m: Message) {
        if tracker.isSingleton {
            answerReadIndex(m, index: log.committed)
            return
        }
        guard committedEntryInCurrentTerm else {
            pendingReadIndexMessages.append(m)
            return
        }
        serveReadIndex(m)
    }

    var committedEntryInCurrentTerm: Bool { log.termOrZero(at: log.committed) == term }

    private mutating func serveReadIndex(_ m: Message) {
        switch readOnly.option {
        case .safe:
            readOnly.add(index: log.committed, request: m)
            // The leader acknowledges its own request.
            let context = m.entries[0].bytes
            _ = readOnly.receiveAck(from: id, context: context)
            broadcastHeartbeat(context: Data(context))
        case .leaseBased:
            answerReadIndex(m, index: log.committed)
        }
    }

    mutating func releasePendingReadIndexMessages() {
        guard committedEntryInCurrentTerm else {
            logger.error("pending MsgReadIndex should be released only after first commit in current term")
            return
        }
        let held = pendingReadIndexMessages
        pendingReadIndexMessages = []
        for m in held { serveReadIndex(m) }
    }

    /// A local request becomes a ReadState; a forwarded one gets a MsgReadIndexResp.
    mutating func answerReadIndex(_ request: Message, index: UInt64) {
        if request.from == 0 || request.from == id {
            readStates.append(ReadState(index: index, requestContext: request.entries[0].bytes))
        } else {
            send(Message(type: .msgReadIndexResp, to: request.from, index: index, entries: request.entries))
        }
    }
}
