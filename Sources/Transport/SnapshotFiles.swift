import Foundation

/// Where a snapshot's state-machine bytes live beside raft's `.snap` files: etcd's
/// `%016x.snap.db` in the member's snap directory, named by the snapshot's index.
public enum SnapshotFiles {
    public static func dbName(index: UInt64) -> String {
        let digits = String(index, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits + ".snap.db"
    }

    public static func dbPath(directory: String, index: UInt64) -> String { "\(directory)/\(dbName(index: index))" }
}
