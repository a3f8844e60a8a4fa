import Crypto
import Foundation

/// Member and cluster IDs derived exactly as etcd 3.4 derives them (membership.NewMember and
/// RaftCluster.genID), so the same flags give the same IDs as an etcd member would have.
public enum ClusterIdentity {
    /// SHA-1 over the sorted peer URLs, the cluster token and (for a member added at run
    /// time) the Unix time; the first 8 bytes, big-endian.
    public static func memberID(peerURLs: [String], clusterToken: String, addedAt: Date? = nil) -> UInt64 {
        var bytes = Array(peerURLs.sorted().joined().utf8) + Array(clusterToken.utf8)
        if let addedAt { bytes += Array(String(Int64(addedAt.timeIntervalSince1970)).utf8) }
        return firstUInt64(Insecure.SHA1.hash(data: bytes))
    }

    /// SHA-1 over the sorted member IDs, each 8 bytes big-endian; the first 8 bytes.
    public static func clusterID(memberIDs: [UInt64]) -> UInt64 {
        var bytes: [UInt8] = []
        for id in memberIDs.sorted() {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: id >> UInt64(shift))) }
        }
        return firstUInt64(Insecure.SHA1.hash(data: bytes))
    }

    private static func firstUInt64(_ digest: Insecure.SHA1.Digest) -> UInt64 {
        digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
