import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The narrow set of file operations the WAL and the snapshotter use. Everything that
/// decides durability goes through it, so tests can put an implementation underneath that
/// loses whatever was not synced when it simulates a crash.
public protocol FileSystem: Sendable {
    func exists(_ path: String) -> Bool
    func isDirectory(_ path: String) -> Bool
    /// Names of the entries in a directory, sorted.
    func list(_ directory: String) throws(DiskError) -> [String]
    func makeDirectory(_ path: String) throws(DiskError)
    func remove(_ path: String) throws(DiskError)
    func rename(_ from: String, _ to: String) throws(DiskError)
    /// Makes a directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws(DiskError)
    func readFile(_ path: String) throws(DiskError) -> [UInt8]
    func size(_ path: String) throws(DiskError) -> Int
    /// Opens a file for writing, creating it if asked.
    func openForWriting(_ path: String, create: Bool) throws(DiskError) -> any WritableFile
}

/// A file open for writing at explicit offsets.
public protocol WritableFile: AnyObject {
    var path: String { get }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(DiskError)
    func truncate(to size: Int) throws(DiskError)
    /// Extends the file with zeros to at least `size` bytes.
    func preallocate(_ size: Int) throws(DiskError)
    /// fdatasync: the data written so far is durable.
    func sync() throws(DiskError)
    /// An exclusive advisory lock, held until close (etcd locks every segment it writes).
    func lock() throws(DiskError)
    func close()
}

extension WritableFile {
    public func write(_ bytes: [UInt8], at offset: Int) throws(DiskError) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(DiskError) in try write(raw, at: offset) } }
        try result.get()
    }
}

/// The real file system, through POSIX calls.
public struct POSIXFileSystem: FileSystem {
    public init() {}

    static func failure(_ operation: String, _ path: String) -> DiskError {
        .io(operation: operation, path: path, reason: String(cString: strerror(errno)))
    }

    public func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    public func list(_ directory: String) throws(DiskError) -> [String] {
        guard let dir = opendir(directory) else { throw Self.failure("opendir", directory) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func makeDirectory(_ path: String) throws(DiskError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw Self.failure("mkdir", path) }
    }

    public func remove(_ path: String) throws(DiskError) {
        if isDirectory(path) {
            for name in try list(path) { try remove("\(path)/\(name)") }
            if rmdir(path) != 0 { throw Self.failure("rmdir", path) }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw Self.failure("unlink", path)
        }
    }

    public func rename(_ from: String, _ to: String) throws(DiskError) {
        if Glibc.rename(from, to) != 0 { throw Self.failure("rename", from) }
    }

    public func syncDirectory(_ path: String) throws(DiskError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw Self.failure("open", path) }
        defer { Glibc.close(fd) }
        if fsync(fd) != 0 { throw Self.failure("fsync", path) }
    }

    public func readFile(_ path: String) throws(DiskError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io(operation: "read", path: path, reason: "cannot read the file")
        }
        return [UInt8](data)
    }

    public func size(_ path: String) throws(DiskError) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Self.failure("stat", path) }
        return Int(info.st_size)
    }

    public func openForWriting(_ path: String, create: Bool) throws(DiskError) -> any WritableFile {
        let fd = open(path, O_WRONLY | (create ? O_CREAT : 0) | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.failure("open", path) }
        return POSIXFile(fd: fd, path: path)
    }
}

final class POSIXFile: WritableFile {
    private var fd: Int32
    let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(DiskError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXFileSystem.failure("write", path)
            }
            done += n
        }
    }

    func truncate(to size: Int) throws(DiskError) {
        if ftruncate(fd, off_t(size)) != 0 { throw POSIXFileSystem.failure("truncate", path) }
    }

    func preallocate(_ size: Int) throws(DiskError) {
        // posix_fallocate extends the file; fall back to ftruncate where it is unsupported.
        if posix_fallocate(fd, 0, off_t(size)) != 0 {
            var info = stat()
            if fstat(fd, &info) == 0, Int(info.st_size) >= size { return }
            if ftruncate(fd, off_t(size)) != 0 { throw POSIXFileSystem.failure("preallocate", path) }
        }
    }

    func sync() throws(DiskError) {
        if fdatasync(fd) != 0 { throw POSIXFileSystem.failure("fdatasync", path) }
    }

    func lock() throws(DiskError) {
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            throw .locked(path: path)
        }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}
