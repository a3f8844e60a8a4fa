import Foundation
#if canImport(Glibc)
import Glibc
private let streamSocket = Int32(SOCK_STREAM.rawValue)
private let sendFlags = Int32(MSG_NOSIGNAL)
private let systemConnect = Glibc.connect
#elseif canImport(Darwin)
import Darwin
private let streamSocket = SOCK_STREAM
private let sendFlags: Int32 = 0  // SIGPIPE is ignored by the runner
private let systemConnect = Darwin.connect
#endif

/// Raw TCP on loopback: is a port free, and sending bytes that are no protocol at all.
enum ClusterSockets {
    /// The ports of `range` something already listens on (or that cannot be bound).
    static func busyPorts(_ range: ClosedRange<Int>) -> [Int] {
        range.filter { port in
            let fd = socket(AF_INET, streamSocket, 0)
            guard fd >= 0 else { return true }
            defer { close(fd) }
            var yes: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            var address = loopback(port)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            return bound != 0
        }
    }

    /// A connected socket to 127.0.0.1:`port`, or nil.
    static func connect(_ port: Int) -> Int32? {
        let fd = socket(AF_INET, streamSocket, 0)
        guard fd >= 0 else { return nil }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { systemConnect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 {
            close(fd)
            return nil
        }
        return fd
    }

    /// Connects, writes `bytes` (as much as the peer takes), reads what comes back for up to
    /// ~200 ms, closes. How it went, in words; nil when the port refused the connection.
    static func spray(_ port: Int, _ bytes: [UInt8]) -> String? {
        guard let fd = connect(port) else { return nil }
        defer { close(fd) }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, sendFlags) }
            if n <= 0 { break }
            sent += n
        }
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        var closed = false
        for _ in 0..<4 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            // EOF, or a reset (the server closed with our unread bytes still queued).
            if n == 0 || (n < 0 && errno == ECONNRESET) { closed = true; break }
            if n < 0 { break }
            received += n
        }
        return "sent \(sent)/\(bytes.count), got \(received) bytes back, \(closed ? "closed by the server" : "still open")"
    }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
