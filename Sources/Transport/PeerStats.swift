import Foundation

/// What etcd reports of a peer: message bytes sent to and received from it over every
/// channel, and since when its message stream to this member has been up or down.
struct PeerStats {
    var sentBytes = 0
    var receivedBytes = 0
    private(set) var activeSince: Date?
    private(set) var inactiveSince: Date? = Date()

    mutating func streamUp() {
        activeSince = Date()
        inactiveSince = nil
    }

    mutating func streamDown() {
        activeSince = nil
        inactiveSince = Date()
    }
}
