import Foundation
import Wire

/// The state-machine bytes of a member's snapshots beside raft's `.snap` files: etcd's
/// `%016x.snap.db` in the snap directory, named by the snapshot's index. A file is written
/// under `.tmp`, synced, then renamed, so a name in use is always whole and durable.
public struct SnapshotDBFiles: Sendable {
    public let directory: String
    let fs: any FileSystem

    public init(directory: String, fs: any FileSystem = POSIXFileSystem()) {
        self.directory = directory
        self.fs = fs
    }

    public static func name(index: UInt64) -> String { hex(index, digits: 16) + ".snap.db" }

    public func path(index: UInt64) -> String { "\(directory)/\(Self.name(index: index))" }

    /// Starts the file of the snapshot at `index`; what it is given goes to disk as it comes.
    public func writer(index: UInt64) throws(DiskError) -> SnapshotDBWriter {
        try SnapshotDBWriter(fs: fs, directory: directory, path: path(index: index))
    }

    /// Reads the file of the snapshot at `index` a piece at a time.
    public func reader(index: UInt64) throws(DiskError) -> SnapshotDBReader {
        let path = path(index: index)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .io(operation: "open", path: path, reason: "missing or unreadable")
        }
        return SnapshotDBReader(handle: handle, path: path)
    }

    /// The whole file of the snapshot at `index`.
    public func read(index: UInt64) throws(DiskError) -> [UInt8] { try fs.readFile(path(index: index)) }

    public func remove(index: UInt64) { try? fs.remove(path(index: index)) }

    /// Removes the `.tmp` files a stop left half written (never renamed into use).
    public func removeUnfinished() {
        for name in (try? fs.list(directory)) ?? [] where name.hasSuffix(".snap.db.tmp") {
            try? fs.remove("\(directory)/\(name)")
        }
    }
}
