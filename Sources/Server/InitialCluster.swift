/// `--initial-cluster`: `name=url[,name=url...]`, a name may appear once per peer URL.
public struct InitialCluster: Equatable, Sendable {
    /// Each member's peer URLs, by name, in the order first seen.
    public private(set) var members: [(name: String, peerURLs: [String])] = []

    public static func == (a: InitialCluster, b: InitialCluster) -> Bool {
        a.members.map(\.name) == b.members.map(\.name) && a.members.map(\.peerURLs) == b.members.map(\.peerURLs)
    }

    public init(parsing text: String) throws(ConfigurationError) {
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .invalid(flag: "initial-cluster", reason: "\(item) is not name=url")
            }
            let url = String(parts[1])
            try PeerURL.check(url, flag: "initial-cluster")
            if let i = members.firstIndex(where: { $0.name == parts[0] }) {
                members[i].peerURLs.append(url)
            } else {
                members.append((String(parts[0]), [url]))
            }
        }
    }

    public func peerURLs(of name: String) -> [String]? { members.first { $0.name == name }?.peerURLs }

    /// Each member's ID under `token`, by name.
    public func memberIDs(token: String) -> [(name: String, id: UInt64, peerURLs: [String])] {
        members.map { ($0.name, ClusterIdentity.memberID(peerURLs: $0.peerURLs, clusterToken: token), $0.peerURLs) }
    }

    public func clusterID(token: String) -> UInt64 {
        ClusterIdentity.clusterID(memberIDs: memberIDs(token: token).map(\.id))
    }
}

/// URL checks as etcd's flag parsing does them (types.NewURLs).
enum PeerURL {
    static func check(_ url: String, flag: String) throws(ConfigurationError) {
        guard let schemeEnd = url.range(of: "://") else {
            throw .invalid(flag: flag, reason: "URL scheme must be http, https, unix, or unixs: \(url)")
        }
        let scheme = url[..<schemeEnd.lowerBound]
        guard ["http", "https", "unix", "unixs"].contains(scheme) else {
            throw .invalid(flag: flag, reason: "URL scheme must be http, https, unix, or unixs: \(url)")
        }
        let rest = url[schemeEnd.upperBound...]
        guard let colon = rest.lastIndex(of: ":"), Int(rest[rest.index(after: colon)...].prefix { $0 != "/" }) != nil else {
            throw .invalid(flag: flag, reason: "URL address does not have the form \"host:port\": \(url)")
        }
        if rest.contains("/"), !rest.hasSuffix("/") || rest.filter({ $0 == "/" }).count > 1 {
            throw .invalid(flag: flag, reason: "URL must not contain a path: \(url)")
        }
    }

    /// Host and port of an http URL.
    static func hostPort(_ url: String) -> (host: String, port: Int)? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        var rest = url[schemeEnd.upperBound...]
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else { return nil }
        return (String(rest[..<colon]), port)
    }
}
