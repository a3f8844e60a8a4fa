/// The peers this member knows, each as its link, and the members removed from the cluster
/// for good, whom the endpoints refuse. Shared by the shell and every server connection;
/// touched on the transport's loop only.
final class PeerRegistry {
    private(set) var links: [UInt64: PeerLink] = [:]
    /// Refused with 410 (streams) or 403 (everything else), as etcd does.
    private(set) var removedIDs: Set<UInt64> = []

    subscript(id: UInt64) -> PeerLink? { links[id] }

    /// Adds `link` unless its peer is known already; false when it was.
    func add(_ link: PeerLink) -> Bool {
        guard links[link.id] == nil else { return false }
        links[link.id] = link
        return true
    }

    func remove(id: UInt64) -> PeerLink? { links.removeValue(forKey: id) }

    func removeAll() -> [PeerLink] {
        defer { links = [:] }
        return Array(links.values)
    }

    func markRemoved(id: UInt64) { removedIDs.insert(id) }

    /// Whether `link` is still the one for its peer: a link removed (or replaced) must not
    /// dial again.
    func contains(_ link: PeerLink) -> Bool { links[link.id] === link }

    /// The streams peers dialed on `connection` are gone: all of them, or the one `stream`.
    func detachWriters(on connection: any HTTP2Connection, stream: Int32? = nil) {
        for link in links.values { link.detachWriters(on: connection, stream: stream) }
    }
}
