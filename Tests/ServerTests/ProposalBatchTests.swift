import Foundation
import NIOCore
import Testing
import Wire
@testable import Server

@Suite("proposals batched while a leader's entries are in flight")
struct ProposalBatchTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test("with nothing in flight a batch goes at once")
    func nothingInFlight() {
        var batch = ProposalBatch()
        batch.add(Data("a".utf8), id: 1)
        #expect(batch.decide(inFlight: false, now: start) == .propose)
    }

    @Test("in flight, a batch waits up to the hold, and its timer is asked for once")
    func holdsUpToTheLimit() {
        var batch = ProposalBatch()
        batch.add(Data("a".utf8), id: 1)
        #expect(batch.decide(inFlight: true, now: start) == .hold(started: true))
        #expect(batch.decide(inFlight: true, now: start + .milliseconds(1)) == .hold(started: false))
        #expect(batch.decide(inFlight: true, now: start + ProposalBatch.hold) == .propose)
    }

    @Test("a commit ends the hold early; taking the batch empties it and ends the hold")
    func commitEndsHold() {
        var batch = ProposalBatch()
        batch.add(Data("a".utf8), id: 1)
        batch.addForwarded([Data("b".utf8)])
        #expect(batch.decide(inFlight: true, now: start) == .hold(started: true))
        #expect(batch.decide(inFlight: false, now: start + .microseconds(10)) == .propose)
        let taken = batch.take()
        #expect(taken.ids == [1])
        #expect(taken.entries == [Data("a".utf8), Data("b".utf8)])
        #expect(batch.isEmpty)
        batch.add(Data("c".utf8), id: 2)
        #expect(batch.decide(inFlight: true, now: start + .seconds(1)) == .hold(started: true))
    }

    @Test("an empty batch has nothing to hold")
    func emptyBatch() {
        var batch = ProposalBatch()
        #expect(batch.decide(inFlight: true, now: start) == .propose)
    }

    @Test("a follower's MsgProp joins a batch when every entry is a plain one; a conf change does not")
    func forwardedEntries() {
        let plain = Message(type: .msgProp, from: 2, entries: [Entry(data: Data("a".utf8)), Entry(data: Data("b".utf8))])
        #expect(ProposalBatch.forwardedEntries(plain) == [Data("a".utf8), Data("b".utf8)])
        let change = Message(type: .msgProp, from: 2, entries: [Entry(data: Data("a".utf8)), Entry(type: .entryConfChange, data: Data())])
        #expect(ProposalBatch.forwardedEntries(change) == nil)
    }
}
