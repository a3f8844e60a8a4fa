import Foundation
import Wire

/// etcd's snapshotter: raft snapshots as `%016x-%016x.snap` (term, index) files, each a
/// `snappb.snapshot` envelope holding the marshaled `raftpb.Snapshot` and its CRC-32C.
public struct Snapshotter: Sendable {
    public let directory: String
    let fs: any FileSystem

    public init(fs: any FileSystem = POSIXFileSystem(), directory: String) {
        self.fs = fs
        self.directory = directory
    }

    public static func fileName(term: UInt64, index: UInt64) -> String {
        hex(term, digits: 16) + "-" + hex(index, digits: 16) + ".snap"
    }

    /// Writes a snapshot and syncs it; a failed write leaves no file behind.
    public func save(_ snapshot: Snapshot) throws(DiskError) {
        let data = snapshot.serializedData()
        let envelope = SnapshotFile(crc: CRC32C.update(0, data), data: data)
        let path = "\(directory)/\(Self.fileName(term: snapshot.metadata.term, index: snapshot.metadata.index))"
        do throws(DiskError) {
            let file = try fs.openForWriting(path, create: true)
            defer { file.close() }
            try file.truncate(to: 0)
            try file.write(envelope.serializedBytes(), at: 0)
            try file.sync()
        } catch {
            try? fs.remove(path)
            throw error
        }
    }

    /// etcd's snap.Read of one file.
    public func read(_ name: String) throws(DiskError) -> Snapshot {
        let bytes = try fs.readFile("\(directory)/\(name)")
        guard !bytes.isEmpty else { throw .emptySnapshot(file: name) }
        let envelope: SnapshotFile
        do { envelope = try SnapshotFile(serializedBytes: bytes) } catch {
            throw .malformedSnapshot(file: name, reason: error.description)
        }
        guard let data = envelope.data, !data.isEmpty, envelope.crc != 0 else { throw .emptySnapshot(file: name) }
        guard CRC32C.update(0, data) == envelope.crc else { throw .snapCRCMismatch(file: name) }
        do { return try Snapshot(serializedBytes: data) } catch {
            throw .malformedSnapshot(file: name, reason: error.description)
        }
    }

    /// The `.snap` files, newest name first.
    public func names() throws(DiskError) -> [String] {
        try fs.list(directory).filter { $0.hasSuffix(".snap") }.sorted(by: >)
    }

    /// The newest snapshot that reads; each one that does not is renamed to `NAME.broken`,
    /// as etcd does. `noSnapshot` when none reads.
    public func load() throws(DiskError) -> Snapshot {
        for name in try names() {
            do {
                return try read(name)
            } catch {
                try? fs.rename("\(directory)/\(name)", "\(directory)/\(name).broken")
            }
        }
        throw .noSnapshot
    }
}
