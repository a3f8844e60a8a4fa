import Foundation

/// Removing old WAL segments and snapshot files, keeping the newest, as etcd's
/// fileutil.PurgeFile does for --max-wals and --max-snapshots.
public enum Purge {
    /// Removes the oldest files ending in `suffix` (by name) beyond the newest `keep`. A file
    /// that is still locked (a WAL segment the log still holds) stops the purge there, so no
    /// segment a live WAL needs is removed. Returns the names removed.
    @discardableResult
    public static func oldest(
        fs: any FileSystem = POSIXFileSystem(), directory: String, suffix: String, keep: Int
    ) throws(DiskError) -> [String] {
        let names = try fs.list(directory).filter { $0.hasSuffix(suffix) }
        guard names.count > keep else { return [] }
        var removed: [String] = []
        for name in names.prefix(names.count - keep) {
            let path = "\(directory)/\(name)"
            let file = try fs.openForWriting(path, create: false)
            do throws(DiskError) {
                try file.lock()
            } catch {
                file.close()
                break
            }
            try fs.remove(path)
            file.close()
            removed.append(name)
        }
        if !removed.isEmpty { try fs.syncDirectory(directory) }
        return removed
    }
}
