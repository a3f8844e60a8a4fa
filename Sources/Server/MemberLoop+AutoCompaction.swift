import KV
import NIOCore
import Wire

/// etcd's auto-compaction on a member: the schedule runs on every member, and only the
/// leader's proposes (etcd pauses the compactor of a member that does not lead). On the loop.
extension MemberLoop {
    func startAutoCompaction() {
        guard let schedule = options.autoCompaction else { return }
        compactionSchedule = CompactionSchedule(schedule, revision: kv.revision, now: .now())
        compactor = eventLoop.scheduleRepeatedTask(initialDelay: schedule.interval, delay: schedule.interval) { [weak self] _ in
            self?.runCompactionSchedule()
        }
    }

    private func runCompactionSchedule() {
        guard !stopped, var schedule = compactionSchedule else { return }
        let started = NIODeadline.now()
        let target = schedule.fire(revision: kv.revision, now: started, leading: role == .leader)
        compactionSchedule = schedule
        guard let target else { return }
        let mode = schedule.mode
        let interval = schedule.interval
        logger.info("starting auto \(mode) compaction", metadata: ["revision": "\(target)"])
        propose(CompactionRequest(revision: target)) { [self] result in
            var failure: ServerError?
            // Already compacted that far counts as done, as in etcd.
            if case .failure(let error) = result, error != .kv(.compacted) { failure = error }
            compactionSchedule?.finished(revision: target, succeeded: failure == nil, now: .now())
            if let failure {
                logger.warning("failed auto \(mode) compaction", metadata: [
                    "revision": "\(target)", "retry-interval": "\(interval)", "error": "\(failure)",
                ])
            } else {
                logger.info("completed auto \(mode) compaction", metadata: [
                    "revision": "\(target)", "took": "\((NIODeadline.now() - started).nanoseconds / 1_000_000)ms",
                ])
            }
        }
    }
}
