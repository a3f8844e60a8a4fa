import Foundation
import KV
import NIOCore
import Raft
import Storage
import Wire

/// The snapshot scheduler: a snapshot every --snapshot-count applied entries, written off
/// the loop; old files purged; a leader's snapshot installed.
extension MemberLoop {
    /// Saves a snapshot once `snapshotCount` entries were applied since the last. The KV
    /// state is frozen here (`KVSnapshotImage`, no copy) and written out on another thread,
    /// so a large store does not stall the loop (heartbeats, appends, reads) while it is;
    /// raft's snapshot, which makes the file the one to load and lets the log be compacted,
    /// is saved back on the loop once the file is durable.
    func maybeSnapshot() {
        guard snapshots.isDue(applied: appliedIndex, compactionPending: kv.compactionPending) else { return }
        snapshots.begin()
        let started = NIODeadline.now()
        let index = appliedIndex
        let image = kv.snapshotImage()
        let confState = confState
        let raftData = Data(ServerSnapshot.raftData(membership))
        let directory = storage.snapDirectory
        BackgroundWork.run { [self] in
            let written = Result { _ = try ServerSnapshot.writeKV(image, directory: directory, index: index) }
            eventLoop.execute { [self] in
                finishSnapshot(at: index, confState: confState, raftData: raftData, written: written, started: started)
            }
        }
    }

    private func finishSnapshot(at index: UInt64, confState: ConfState, raftData: Data, written: Result<Void, Error>, started: NIODeadline) {
        let current = snapshots.written(at: index)
        guard !stopped else { return }
        guard current else {
            // A snapshot from the leader was installed meanwhile: this one is out of date.
            snapshotFiles.remove(index: index)
            return
        }
        do {
            try written.get()
            try storage.snapshot(at: index, confState: confState, data: raftData, keepEntries: Self.catchUpEntries)
        } catch {
            logger.error("failed to save a snapshot", metadata: ["error": "\(error)"])
            return
        }
        logger.info("saved snapshot", metadata: [
            "snapshot-index": "\(index)", "took": "\((NIODeadline.now() - started).nanoseconds / 1_000_000)ms",
        ])
        snapshots.took(at: index)
        purgeFiles()
        maybeSnapshot()
    }

    /// Entries kept before a snapshot for followers a little behind (etcd's
    /// snapshotCatchUpEntries), so they need no snapshot.
    static let catchUpEntries: UInt64 = 5000

    /// Removes old snapshot and WAL files beyond --max-snapshots and --max-wals.
    func purgeFiles() {
        do {
            if options.maxSnapshots > 0 {
                for suffix in [".snap", ".snap.db"] {
                    try Purge.oldest(directory: storage.snapDirectory, suffix: suffix, keep: options.maxSnapshots)
                }
            }
            if options.maxWALs > 0 { try Purge.oldest(directory: storage.walDirectory, suffix: ".wal", keep: options.maxWALs) }
        } catch {
            logger.warning("failed to purge old files", metadata: ["error": "\(error)"])
        }
    }

    /// Installs a snapshot the leader sent: the state machine and membership jump to it.
    func restore(from snapshot: Snapshot) {
        let index = snapshot.metadata.index
        logger.info("applying snapshot", metadata: ["incoming-leader-snapshot-index": "\(index)", "current-applied-index": "\(appliedIndex)"])
        do {
            let before = Set(membership.members.keys)
            membership = try ServerSnapshot.load(raftData: Array(snapshot.data ?? Data()), index: index,
                                                  directory: storage.snapDirectory, into: kv)
            for id in before.subtracting(membership.members.keys) { transport?.removePeer(id: id) }
            for id in membership.removed { transport?.markRemoved(id: id) }
            for member in membership.sorted where member.id != options.memberID && !before.contains(member.id) { connect(member) }
        } catch {
            logger.critical("failed to restore a snapshot", metadata: ["index": "\(index)", "error": "\(error)"])
            fatalError("snapshot: \(error)")
        }
        confState = snapshot.metadata.confState
        appliedIndex = index
        snapshots.took(at: index)
        logger.info("applied snapshot", metadata: ["snapshot-index": "\(index)", "revision": "\(kv.revision)"])
        if membership.removed.contains(options.memberID) { removedSelf() }
        purgeFiles()
    }

    /// The store frozen as it is now, for a client's snapshot. On the loop.
    func snapshotImage() -> KVSnapshotImage { kv.snapshotImage() }
}
