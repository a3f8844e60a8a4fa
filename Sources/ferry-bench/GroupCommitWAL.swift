import Dispatch
import Foundation
import Storage
import Wire

/// The benchmark's group commit of a WAL (a member batches on its own loop instead, see
/// ProposalBatch). Saves from many writers share fdatasyncs: each save waits for the sync
/// that covers it, and every save queued while one sync runs goes out with the next one. A
/// save that has returned is on disk.
final class GroupCommitWAL: @unchecked Sendable {
    private struct Pending {
        let hardState: HardState
        let entries: [Entry]
        let done: @Sendable (DiskError?) -> Void
    }

    private let wal: WAL
    private let queue = DispatchQueue(label: "ferry.wal.commit")
    private let lock = NSLock()
    private var pending: [Pending] = []
    private var writing = false
    /// Saves and syncs performed, for benchmarks and metrics.
    private(set) var savesWritten = 0
    private(set) var syncs = 0

    /// Takes over `wal`, which must be open for writing (created, or opened and read).
    init(_ wal: WAL) {
        self.wal = wal
    }

    /// Appends entries and a hard state and returns once they are durable.
    func save(hardState: HardState, entries: [Entry]) async throws(DiskError) {
        let result: DiskError? = await withCheckedContinuation { continuation in
            enqueue(Pending(hardState: hardState, entries: entries) { continuation.resume(returning: $0) })
        }
        if let result { throw result }
    }

    /// The blocking form of `save`, for callers on their own threads.
    func saveAndWait(hardState: HardState, entries: [Entry]) throws(DiskError) {
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: DiskError?
        enqueue(Pending(hardState: hardState, entries: entries) { error in
            failure = error
            semaphore.signal()
        })
        semaphore.wait()
        if let failure { throw failure }
    }

    private func enqueue(_ save: Pending) {
        lock.lock()
        pending.append(save)
        let start = !writing
        writing = true
        lock.unlock()
        if start { queue.async { self.drain() } }
    }

    /// Writes everything queued, syncs once, completes those saves; repeats until idle.
    private func drain() {
        while true {
            lock.lock()
            let batch = pending
            pending = []
            if batch.isEmpty {
                writing = false
                lock.unlock()
                return
            }
            lock.unlock()
            var failure: DiskError?
            do throws(DiskError) {
                // One save of all their entries: one set of records, one sync.
                let hardState = batch.max { $0.hardState.commit < $1.hardState.commit }!.hardState
                try wal.save(hardState: hardState, entries: batch.flatMap(\.entries))
                savesWritten += batch.count
                syncs += 1
            } catch {
                failure = error
            }
            for save in batch { save.done(failure) }
        }
    }

    /// Waits for queued saves, then closes the WAL.
    func close() throws(DiskError) {
        let failure: DiskError? = queue.sync {
            do throws(DiskError) { try wal.close() } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }
}
