import Foundation

/// Check 8: bytes that are no protocol at all, sent raw to every peer and client port; every
/// member must stay up and keep serving.
extension ClusterHarness {
    func checkGarbage() {
        var rng = SystemRandomNumberGenerator()
        func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        let emptySettings: [UInt8] = [0, 0, 0, 4, 0, 0, 0, 0, 0]
        let hugeHeaders: [UInt8] = [0xFF, 0xFF, 0xFF, 1, 4, 0, 0, 0, 1]  // HEADERS, 16 MB, stream 1
        let payloads: [(String, [UInt8])] = [
            ("4 KB of random bytes", random(4096)),
            ("HTTP/1.1 junk", Array("GET / HTTP/1.1\r\n\r\nGET /raft/stream/message/zz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".utf8) + random(1024)),
            ("the HTTP/2 preface then 4 KB of random bytes", preface + random(4096)),
            ("the HTTP/2 preface, SETTINGS, then a 16 MB HEADERS frame that never comes", preface + emptySettings + hugeHeaders + random(1024)),
        ]
        let ports = layout.members.flatMap { [("\($0.name) peer", $0.peerPort), ("\($0.name) client", $0.clientPort)] }
        for (label, bytes) in payloads {
            var problems: [String] = []
            var outcomes: [String] = []
            for (portLabel, port) in ports {
                if let outcome = ClusterSockets.spray(port, bytes) {
                    outcomes.append("\(portLabel): \(outcome)")
                } else {
                    problems.append("\(portLabel) port \(port) refused the connection")
                }
            }
            problems += deadMembers([0, 1, 2])
            let shapes = Set(outcomes.map { $0.split(separator: ":", maxSplits: 1).last.map(String.init) ?? $0 })
            note("8. \(label): " + (shapes.count == 1 && outcomes.count == ports.count
                ? "every port:\(shapes.first!)" : outcomes.joined(separator: "; ")))
            check("8. \(label) on every peer and client port: every member stays up", problems)
        }
        // Connections left hanging mid-preface (and silent ones) while the cluster serves.
        var held: [Int32] = []
        for (_, port) in ports {
            if let fd = ClusterSockets.connect(port) {
                held.append(fd)
                _ = Array("PRI * HTTP/2.0\r\n".utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            }
            if let fd = ClusterSockets.connect(port) { held.append(fd) }
        }
        let problems = writeEverywhere(prefix: "garbage/") + deadMembers([0, 1, 2])
        for fd in held { close(fd) }
        check("8. after the garbage, with half-open connections held on every port, put/get through every member works", problems)
    }
}
