import Foundation
@testable import Storage

/// An in-memory file system that remembers what is durable: file data once synced, directory
/// entries (creations, renames, removals) once their directory is synced. `crash` throws away
/// everything else, optionally tearing each file's last unsynced write at a random byte: what
/// a power cut does, which a SIGKILL (page cache intact) cannot show.
final class SimulatedFileSystem: FileSystem, @unchecked Sendable {
    final class Inode {
        var durable: [UInt8] = []
        var current: [UInt8] = []
        var lastWrite: (offset: Int, bytes: [UInt8])?
    }

    private let lock = NSLock()
    private var inodes: [Int: Inode] = [:]
    private var nextInode = 0
    /// path → inode (-1 for a directory), as seen now and as it would survive a crash.
    private var current: [String: Int] = [:]
    private var durable: [String: Int] = [:]

    init() {
        current["/"] = -1
        durable["/"] = -1
    }

    private func parent(_ path: String) -> String {
        let p = (path as NSString).deletingLastPathComponent
        return p.isEmpty ? "/" : p
    }

    func crash(tear: Bool, using rng: inout some RandomNumberGenerator) {
        lock.lock()
        defer { lock.unlock() }
        for inode in inodes.values {
            if tear, let write = inode.lastWrite, inode.current != inode.durable {
                // The last unsynced write lands only partly; everything before it was lost.
                var bytes = inode.durable
                let kept = Int.random(in: 0...write.bytes.count, using: &rng)
                if bytes.count < write.offset + kept { bytes += [UInt8](repeating: 0, count: write.offset + kept - bytes.count) }
                bytes.replaceSubrange(write.offset..<(write.offset + kept), with: write.bytes.prefix(kept))
                inode.durable = bytes
            }
            inode.current = inode.durable
            inode.lastWrite = nil
        }
        current = durable
    }

    func exists(_ path: String) -> Bool { lock.withLock { current[path] != nil } }

    func isDirectory(_ path: String) -> Bool { lock.withLock { current[path] == -1 } }

    func list(_ directory: String) throws(DiskError) -> [String] {
        lock.withLock {
            current.keys.filter { parent($0) == directory && $0 != directory }.map { ($0 as NSString).lastPathComponent }.sorted()
        }
    }

    func makeDirectory(_ path: String) throws(DiskError) { lock.withLock { current[path] = -1 } }

    func remove(_ path: String) throws(DiskError) {
        lock.withLock { for key in current.keys where key == path || key.hasPrefix(path + "/") { current[key] = nil } }
    }

    func rename(_ from: String, _ to: String) throws(DiskError) {
        lock.withLock {
            for (key, value) in current where key == from || key.hasPrefix(from + "/") {
                current[key] = nil
                current[to + key.dropFirst(from.count)] = value
            }
        }
    }

    func syncDirectory(_ path: String) throws(DiskError) {
        lock.withLock {
            let under = { (key: String) in self.parent(key) == path || key.hasPrefix(path == "/" ? "/" : path + "/") }
            for key in durable.keys where under(key) { durable[key] = nil }
            for (key, value) in current where under(key) { durable[key] = value }
        }
    }

    private func inode(_ path: String) throws(DiskError) -> Inode {
        guard let id = lock.withLock({ current[path] }), id >= 0, let inode = lock.withLock({ inodes[id] }) else {
            throw .io(operation: "open", path: path, reason: "no such file")
        }
        return inode
    }

    func readFile(_ path: String) throws(DiskError) -> [UInt8] {
        let node = try inode(path)
        return lock.withLock { node.current }
    }

    func size(_ path: String) throws(DiskError) -> Int { try readFile(path).count }

    func openForWriting(_ path: String, create: Bool) throws(DiskError) -> any WritableFile {
        if create, !exists(path) {
            lock.withLock {
                nextInode += 1
                inodes[nextInode] = Inode()
                current[path] = nextInode
            }
        }
        return File(fs: self, path: path, node: try inode(path))
    }

    final class File: WritableFile {
        let fs: SimulatedFileSystem
        let path: String
        let node: Inode

        init(fs: SimulatedFileSystem, path: String, node: Inode) {
            self.fs = fs
            self.path = path
            self.node = node
        }

        func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(DiskError) {
            fs.lock.withLock {
                if node.current.count < offset + bytes.count {
                    node.current += [UInt8](repeating: 0, count: offset + bytes.count - node.current.count)
                }
                node.current.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
                node.lastWrite = (offset, Array(bytes))
            }
        }

        func truncate(to size: Int) throws(DiskError) {
            fs.lock.withLock {
                if node.current.count > size { node.current.removeSubrange(size...) } else {
                    node.current += [UInt8](repeating: 0, count: size - node.current.count)
                }
            }
        }

        func preallocate(_ size: Int) throws(DiskError) {
            fs.lock.withLock {
                if node.current.count < size { node.current += [UInt8](repeating: 0, count: size - node.current.count) }
            }
        }

        func sync() throws(DiskError) { fs.lock.withLock { node.durable = node.current } }

        func lock() throws(DiskError) {}

        func close() {}
    }
}
