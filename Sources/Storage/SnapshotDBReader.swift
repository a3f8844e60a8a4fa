import Foundation

/// One snapshot file read a piece at a time, for sending to a peer.
public final class SnapshotDBReader {
    private let handle: FileHandle
    public let path: String

    init(handle: FileHandle, path: String) {
        self.handle = handle
        self.path = path
    }

    /// Up to `count` more bytes; none at the end.
    public func read(upTo count: Int) throws(DiskError) -> [UInt8] {
        do { return Array(try handle.read(upToCount: count) ?? Data()) } catch {
            throw .io(operation: "read", path: path, reason: "\(error)")
        }
    }

    public func close() { try? handle.close() }
}
