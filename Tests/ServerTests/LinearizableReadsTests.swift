import Testing
@testable import Server

/// A box the read closures write into (the reads run synchronously in these tests).
final class ReadLog: @unchecked Sendable {
    var ran: [Int] = []
    var failed: [(Int, ServerError)] = []
}

@Suite("linearizable reads wait for their read index to be applied")
struct LinearizableReadsTests {
    func read(_ n: Int, _ log: ReadLog) -> LinearizableReads.Read {
        LinearizableReads.Read(run: { log.ran.append(n) }, fail: { log.failed.append((n, $0)) })
    }

    @Test("one read index serves every read queued before it; reads run only once applied")
    func batchRunsAfterApply() throws {
        let log = ReadLog()
        var reads = LinearizableReads()
        reads.enqueue(read(1, log))
        reads.enqueue(read(2, log))
        let started = reads.startBatch(id: { 7 })
        let context = try #require(started)
        let second = reads.startBatch(id: { 7 })
        #expect(second == nil)
        reads.enqueue(read(3, log))
        reads.confirm(context: context, index: 10)
        reads.runApplied(upTo: 9)
        #expect(log.ran.isEmpty)
        reads.runApplied(upTo: 10)
        #expect(log.ran == [1, 2])
        #expect(reads.hasQueued)
    }

    @Test("an answer for another context is ignored; an expired batch fails with a timeout")
    func staleAndExpired() throws {
        let log = ReadLog()
        var reads = LinearizableReads()
        reads.enqueue(read(1, log))
        let started = reads.startBatch(id: { 7 })
        let context = try #require(started)
        reads.confirm(context: [0, 0, 0, 0, 0, 0, 0, 99], index: 1)
        reads.runApplied(upTo: 100)
        #expect(log.ran.isEmpty)
        let expired = reads.expire(context: context)
        let again = reads.expire(context: context)
        #expect(expired && !again)
        #expect(log.failed.map(\.0) == [1])
        #expect(log.failed.first?.1 == .timeout)
    }

    @Test("a leader change fails the batch in flight; stopping fails everything")
    func leaderChangeAndStop() throws {
        let log = ReadLog()
        var reads = LinearizableReads()
        reads.enqueue(read(1, log))
        _ = reads.startBatch(id: { 7 })
        reads.enqueue(read(2, log))
        reads.failAll(.leaderChanged)
        #expect(log.failed.map(\.0) == [1])
        reads.failAll(.stopped)
        #expect(log.failed.map(\.0) == [1, 2])
        #expect(!reads.hasQueued)
    }
}
