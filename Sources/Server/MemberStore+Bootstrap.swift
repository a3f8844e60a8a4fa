import Foundation
import Storage
import Wire

extension MemberStore {
    /// A new member's raft log as etcd writes it before raft runs: the WAL's metadata (the
    /// member's and the cluster's IDs), then one ConfChangeAddNode per initial member in ID
    /// order, committed at term 1 (etcd's StartNode), under a hard state voting for nobody, or
    /// for the first member as etcd's snapshot restore writes it. Returns the open log and the
    /// entries.
    static func bootstrapLog(_ configuration: ServerConfiguration, memberDirectory: String,
                             voteForFirst: Bool) throws -> (storage: DurableLog, entries: [Entry]) {
        let metadata = Metadata(nodeID: configuration.memberID, clusterID: configuration.clusterID)
        let storage = try DurableLog(directory: memberDirectory, metadata: metadata.serializedData())
        let members = configuration.initialCluster.memberIDs(token: configuration.initialClusterToken).sorted { $0.id < $1.id }
        var entries: [Entry] = []
        for (offset, member) in members.enumerated() {
            let context = ClusterMember(id: member.id, name: member.name, peerURLs: member.peerURLs).json
            let change = ConfChange(type: .confChangeAddNode, nodeID: member.id, context: Data(context.utf8))
            entries.append(Entry(term: 1, index: UInt64(offset + 1), type: .entryConfChange, data: change.serializedData()))
        }
        let vote = voteForFirst ? members.first?.id ?? 0 : 0
        try storage.save(hardState: HardState(term: 1, vote: vote, commit: UInt64(entries.count)), entries: entries, snapshot: nil)
        return (storage, entries)
    }
}
