/// One snapshot file being written: bytes at the end of `<name>.tmp`; `finish` syncs it,
/// renames it into place and syncs the directory; `abandon` removes it.
public final class SnapshotDBWriter {
    private let fs: any FileSystem
    private let directory: String
    private let path: String
    private let file: any WritableFile
    public private(set) var written = 0
    private var done = false

    init(fs: any FileSystem, directory: String, path: String) throws(DiskError) {
        self.fs = fs
        self.directory = directory
        self.path = path
        file = try fs.openForWriting(path + ".tmp", create: true)
        try file.truncate(to: 0)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(DiskError) {
        try file.write(bytes, at: written)
        written += bytes.count
    }

    public func write(_ bytes: [UInt8]) throws(DiskError) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(DiskError) in try write(raw) } }
        try result.get()
    }

    /// Makes the file durable under its name; returns its size.
    @discardableResult
    public func finish() throws(DiskError) -> Int {
        done = true
        do {
            try file.sync()
            file.close()
            try fs.rename(path + ".tmp", path)
            try fs.syncDirectory(directory)
        } catch {
            try? fs.remove(path + ".tmp")
            throw error
        }
        return written
    }

    /// The file will not be finished: what was written goes.
    public func abandon() {
        guard !done else { return }
        done = true
        file.close()
        try? fs.remove(path + ".tmp")
    }
}
