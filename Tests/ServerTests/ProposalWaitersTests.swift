import NIOCore
import Testing
@testable import Server

@Suite struct ProposalWaitersTests {
    func waiter(deadline: Int64) -> ProposalWaiters.Waiter {
        ProposalWaiters.Waiter(done: { _ in }, leadAtStart: 1, deadline: NIODeadline.uptimeNanoseconds(UInt64(deadline)))
    }

    @Test func expiredWaitersAreTakenOldestRequestFirstAndOthersKeepWaiting() {
        var waiters = ProposalWaiters()
        waiters.add(waiter(deadline: 30), id: 9)
        waiters.add(waiter(deadline: 10), id: 4)
        waiters.add(waiter(deadline: 99), id: 2)
        let expired = waiters.takeExpired(now: .uptimeNanoseconds(50))
        #expect(expired.map(\.deadline.uptimeNanoseconds) == [10, 30])
        #expect(waiters.count == 1)
        let first = waiters.take(2), second = waiters.take(2)
        #expect(first != nil && second == nil)
    }

    @Test func unparkingHandsBackOnlyWhatStillWaitsInTheOrderItCame() {
        var waiters = ProposalWaiters()
        for id: UInt64 in [3, 1, 2] {
            waiters.add(waiter(deadline: 10), id: id)
            waiters.park(.entry([UInt8(id)]), id: id)
        }
        _ = waiters.take(1)
        let unparked = waiters.unpark()
        #expect(unparked.map(\.id) == [3, 2])
        let again = waiters.unpark()
        #expect(again.isEmpty)
    }

    @Test func takingAllLeavesNothingWaitingOrParked() {
        var waiters = ProposalWaiters()
        waiters.add(waiter(deadline: 10), id: 1)
        waiters.park(.entry([]), id: 1)
        let all = waiters.takeAll()
        let unparked = waiters.unpark()
        #expect(all.count == 1)
        #expect(waiters.count == 0 && unparked.isEmpty)
    }
}

@Suite struct SnapshotScheduleTests {
    @Test func aSnapshotIsDueOnceMoreThanCountEntriesWereAppliedAndNoneIsBeingWritten() {
        var schedule = SnapshotSchedule(count: 10, index: 5)
        #expect(!schedule.isDue(applied: 15, compactionPending: false))
        #expect(schedule.isDue(applied: 16, compactionPending: false))
        #expect(!schedule.isDue(applied: 16, compactionPending: true))
        schedule.begin()
        #expect(!schedule.isDue(applied: 40, compactionPending: false))
        let current = schedule.written(at: 16)
        #expect(current)
        schedule.took(at: 16)
        #expect(schedule.isSettled(applied: 26) && !schedule.isSettled(applied: 27))
    }

    @Test func aSnapshotWrittenAfterANewerOneWasInstalledIsOutOfDate() {
        var schedule = SnapshotSchedule(count: 10, index: 0)
        schedule.begin()
        schedule.took(at: 100)  // the leader's, installed meanwhile
        let current = schedule.written(at: 20)
        #expect(!current)
        #expect(!schedule.inProgress)
    }
}
