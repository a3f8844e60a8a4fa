/// A client call's life as etcd's lock and election handlers see their context: it ends when
/// the client goes away (cancel, deadline, lost connection) or the call is over, and the
/// waits started under it stop then, leaving no watcher behind. Touched on the node's loop.
final class CallContext: @unchecked Sendable {
    private(set) var isEnded = false
    private var cancellers: [Int: () -> Void] = [:]
    private var nextKey = 0

    /// Runs `cancel` once when the call ends, unless forgotten first; nil when it has ended.
    func onEnd(_ cancel: @escaping () -> Void) -> Int? {
        guard !isEnded else { return nil }
        nextKey += 1
        cancellers[nextKey] = cancel
        return nextKey
    }

    /// Drops what `onEnd` registered under `key` (its wait finished).
    func forget(_ key: Int) {
        cancellers[key] = nil
    }

    func end() {
        guard !isEnded else { return }
        isEnded = true
        let pending = cancellers
        cancellers = [:]
        for key in pending.keys.sorted() { pending[key]?() }
    }
}
