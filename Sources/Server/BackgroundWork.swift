import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Work over the whole KV state (writing a snapshot's file, Hash, a Maintenance snapshot)
/// off the nodes' loops, on one thread of its own at a lower CPU priority: on a machine with
/// few cores it takes the time the loops leave instead of slowing every request while it runs.
enum BackgroundWork {
    /// The thread's nice value (Linux keeps one per thread).
    static let niceness: Int32 = 10

    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        pool.submit { _ in
            #if os(Linux)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
            #endif
        }
        return pool
    }()

    /// Runs `body` on the background thread, after the work queued before it.
    static func run(_ body: @escaping @Sendable () -> Void) {
        pool.submit { _ in body() }
    }
}
