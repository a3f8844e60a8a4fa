import Wire

/// etcd's sendFragments (etcdserver/api/v3rpc/watch.go): a response to a watcher created with
/// `fragment` that is not smaller than the limit and has two events or more goes out as
/// several, each as many events as keep it under the limit (a single event too big goes
/// alone), `fragment` set on all but the last.
enum WatchFragments {
    /// The encoded messages that carry `response`.
    static func messages(_ response: WatchResponse, limit: Int) -> [[UInt8]] {
        guard response.events.count >= 2 else { return [response.serializedBytes()] }
        let whole = response.serializedBytes()
        guard whole.count >= limit else { return [whole] }
        var base = response
        base.events = []
        base.fragment = true
        let baseSize = base.serializedBytes().count
        // Each event adds its field tag (one byte: field 11), its length and its bytes.
        let sizes = response.events.map { event in
            let length = event.serializedBytes().count
            return 1 + varintSize(length) + length
        }
        var messages: [[UInt8]] = []
        var next = 0
        while next < response.events.count {
            var part = base
            var size = baseSize
            while next < response.events.count {
                if !part.events.isEmpty, size + sizes[next] >= limit { break }
                part.events.append(response.events[next])
                size += sizes[next]
                next += 1
            }
            if next == response.events.count { part.fragment = false }
            messages.append(part.serializedBytes())
        }
        return messages
    }

    private static func varintSize(_ value: Int) -> Int {
        var size = 1
        var rest = value >> 7
        while rest > 0 {
            size += 1
            rest >>= 7
        }
        return size
    }
}
