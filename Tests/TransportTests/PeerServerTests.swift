import Testing
@testable import Transport
import Wire

/// The peer port's endpoints driven by a client session in memory, as etcd 3.4's rafthttp
/// answers them.
@Suite("peer endpoints without sockets")
struct PeerServerTests {
    let member = MemoryMember(id: 1)
    let peer = MemoryMember(id: 2)
    let heartbeat = Message(type: .msgHeartbeat, to: 1, from: 2, term: 1)

    @Test("a request with another cluster's ID is answered 412 and delivers nothing")
    func clusterIDMismatch() throws {
        member.link(to: 2)
        let wire = try Loopback(to: member)
        let stranger = MemoryMember(id: 2, clusterID: 0x2000)
        let post = try wire.request(stranger.headers("POST", "/raft"), body: heartbeat.serializedBytes())
        let stream = try wire.request(stranger.headers("GET", "/raft/stream/message/2", to: 1))
        let snapshot = try wire.request(stranger.headers("POST", "/raft/snapshot"), body: [0, 0, 0, 0, 0, 0, 0, 0])
        for answer in [post, stream, snapshot] {
            #expect(answer.status == "412")
            #expect(answer.body == "etcdserver: cluster ID mismatch\n")
        }
        let seen = member.inbox.seen.value
        #expect(seen.messages.isEmpty && seen.snapshots.isEmpty)
        #expect(seen.events == ["/raft", "/raft/stream/message/2", "/raft/snapshot"].map {
            .clusterIDMismatch(remoteClusterID: "2000", from: "2", path: $0)
        })
        #expect(member.peers[2]?.status.active == false)
    }

    @Test("a removed member gets 410 on a stream GET and 403 on a POST")
    func removedMember() throws {
        member.link(to: 2)
        member.peers.markRemoved(id: 2)
        let wire = try Loopback(to: member)
        let stream = try wire.request(peer.headers("GET", "/raft/stream/msgapp/2", to: 1))
        #expect(stream.status == "410")
        #expect(stream.body == "removed member\n")
        let post = try wire.request(peer.headers("POST", "/raft"), body: heartbeat.serializedBytes())
        #expect(post.status == "403")
        #expect(post.body == "cannot process message from removed member\n")
        #expect(member.inbox.seen.value.messages.isEmpty)
        #expect(member.peers[2]?.status.active == false)
    }

    @Test("a stream GET meant for another member (X-Raft-To) is answered 412")
    func raftToMismatch() throws {
        member.link(to: 2)
        let wire = try Loopback(to: member)
        let answer = try wire.request(peer.headers("GET", "/raft/stream/message/2", to: 3))
        #expect(answer.status == "412")
        #expect(answer.body == "to field mismatch\n")
        #expect(member.peers[2]?.status.active == false)
    }

    @Test("a stream GET from a sender this member does not know is answered 404")
    func unknownSender() throws {
        let wire = try Loopback(to: member)
        let answer = try wire.request(peer.headers("GET", "/raft/stream/message/2", to: 1))
        #expect(answer.status == "404")
        #expect(answer.body == "error sender not found\n")
    }

    @Test("a stream GET from a known peer is answered 200 and keeps it active until the stream closes")
    func streamAccepted() throws {
        let link = member.link(to: 2)
        let wire = try Loopback(to: member)
        let answer = try wire.request(peer.headers("GET", "/raft/stream/message/2", to: 1))
        #expect(answer.status == "200")
        #expect(link.status.active)
        wire.close()
        #expect(!link.status.active)
        #expect(member.inbox.seen.value.events == [.peerActive(2), .peerInactive(2)])
    }

    @Test("/version and /raft/probing answer anyone")
    func versionAndProbing() throws {
        let wire = try Loopback(to: member)
        let anyone = MemoryMember(id: 9, clusterID: 0x9999)
        let version = try wire.request(anyone.headers("GET", "/version"))
        #expect(version.status == "200")
        #expect(version.body == #"{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}"#)
        let probing = try wire.request(anyone.headers("GET", "/raft/probing"))
        #expect(probing.status == "200")
        #expect(probing.body == #"{"health":"true"}"#)
        #expect(member.inbox.seen.value.events.isEmpty)
    }

    @Test("a pipeline POST delivers its message, answers 204 and counts its bytes")
    func pipelineDelivers() throws {
        let link = member.link(to: 2)
        let wire = try Loopback(to: member)
        let body = heartbeat.serializedBytes()
        let answer = try wire.request(peer.headers("POST", "/raft"), body: body)
        #expect(answer.status == "204")
        #expect(member.inbox.received == [heartbeat])
        #expect(link.stats.receivedBytes == body.count)
    }

    @Test("a pipeline POST whose body is not a raft message is answered 400")
    func badPipelineBody() throws {
        let wire = try Loopback(to: member)
        let answer = try wire.request(peer.headers("POST", "/raft"), body: Array("not a raft message".utf8))
        #expect(answer.status == "400")
        #expect(answer.body == "error unmarshalling raft message\n")
        #expect(member.inbox.received.isEmpty)
    }

    @Test("a snapshot POST without a body is answered 400, an unknown path 404")
    func emptySnapshotAndUnknownPath() throws {
        let wire = try Loopback(to: member)
        let snapshot = try wire.request(peer.headers("POST", "/raft/snapshot"))
        #expect(snapshot.status == "400")
        #expect(snapshot.body == "error reading raft message: empty body\n")
        let unknown = try wire.request(peer.headers("GET", "/nope"))
        #expect(unknown.status == "404")
        #expect(unknown.body == "404 page not found\n")
    }

    @Test("/members and /members/promote answer with the delegate's answers")
    func membersAndPromote() throws {
        let wire = try Loopback(to: member)
        let members = try wire.request(peer.headers("GET", "/members"))
        #expect(members.status == "200")
        #expect(members.body.contains("peerURLs"))
        let promote = try wire.request(peer.headers("POST", "/members/promote/7"))
        #expect(promote.status == "200")
        #expect(promote.body == "promoted 7")
        let invalid = try wire.request(peer.headers("POST", "/members/promote/x"))
        #expect(invalid.status == "400")
        #expect(invalid.body == "invalid member id\n")
    }
}
