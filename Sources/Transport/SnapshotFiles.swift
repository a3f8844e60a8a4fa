import Foundation
import Wire

/// Where a snapshot's state-machine bytes live beside raft's `.snap` files: etcd's
/// `%016x.snap.db` in the member's snap directory, named by the snapshot's index.
public enum SnapshotFiles {
    public static func dbName(index: UInt64) -> String {
        hex(index, digits: 16) + ".snap.db"
    }

    public static func dbPath(directory: String, index: UInt64) -> String { "\(directory)/\(dbName(index: index))" }
}
