import HTTP2

/// Reads Ferry's HTTP/2 peer traffic off a connection with two nghttp2 sessions: the client's
/// bytes go into a server session and the server's bytes into a client session, interleaved
/// in capture order. Each request the server session sees is mirrored on the client session
/// so that it accepts the response on the same stream.
enum HTTP2Conversation {
    /// The client connection preface every HTTP/2 connection starts with.
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func isHTTP2(_ connection: TCPConnection) -> Bool {
        connection.clientBytes.bytes.starts(with: preface)
    }

    static func exchanges(_ connection: TCPConnection) -> [HTTPExchange] {
        let server = HTTP2Session(role: .server)
        let client = HTTP2Session(role: .client)
        var exchanges: [HTTPExchange] = []
        var byStream: [Int32: Int] = [:]
        var requestOpen: Set<Int32> = []

        func handleRequests(_ events: [HTTP2Event], epoch: Double) {
            for event in events {
                switch event {
                case let .headers(stream, headers, endStream):
                    guard byStream[stream] == nil else { continue }
                    byStream[stream] = exchanges.count
                    exchanges.append(HTTPExchange(
                        connection: connection.number, method: headers[":method"] ?? "", path: headers[":path"] ?? "",
                        requestHeaders: headers.map { ($0.name, $0.value) }, requestBody: TimedBytes(),
                        requestComplete: endStream, status: nil, responseBody: TimedBytes()))
                    if !endStream { requestOpen.insert(stream) }
                    _ = try? client.request(headers, endStream: true)
                    _ = client.output()
                case let .data(stream, bytes):
                    if let index = byStream[stream] { exchanges[index].requestBody.append(bytes, epoch: epoch) }
                    server.consume(stream: stream, count: bytes.count)
                case let .endStream(stream):
                    if let index = byStream[stream], requestOpen.remove(stream) != nil { exchanges[index].requestComplete = true }
                default:
                    break
                }
            }
            _ = server.output()
        }

        func handleResponses(_ events: [HTTP2Event], epoch: Double) {
            for event in events {
                switch event {
                case let .headers(stream, headers, _):
                    if let index = byStream[stream], exchanges[index].status == nil, let status = headers[":status"].flatMap({ Int($0) }),
                       !(100..<200).contains(status) {
                        exchanges[index].status = status
                    }
                case let .data(stream, bytes):
                    if let index = byStream[stream] { exchanges[index].responseBody.append(bytes, epoch: epoch) }
                    client.consume(stream: stream, count: bytes.count)
                default:
                    break
                }
            }
            _ = client.output()
        }

        var clientFailed = false, serverFailed = false
        for piece in interleave(connection) {
            if piece.fromClient {
                guard !clientFailed else { continue }
                do { handleRequests(try server.receive(piece.bytes), epoch: piece.epoch) } catch { clientFailed = true }
            } else {
                guard !serverFailed else { continue }
                do { handleResponses(try client.receive(piece.bytes), epoch: piece.epoch) } catch { serverFailed = true }
            }
        }
        return exchanges
    }

    /// Both directions' runs of bytes merged in capture order, each direction kept in byte
    /// order (the client's first on a tie).
    private static func interleave(_ connection: TCPConnection) -> [(fromClient: Bool, epoch: Double, bytes: [UInt8])] {
        func pieces(_ stream: TimedBytes, fromClient: Bool) -> [(fromClient: Bool, epoch: Double, bytes: [UInt8])] {
            stream.runs.enumerated().map { index, run in
                let end = index + 1 < stream.runs.count ? stream.runs[index + 1].start : stream.count
                return (fromClient, run.epoch, Array(stream.bytes[run.start..<end]))
            }
        }
        let requests = pieces(connection.clientBytes, fromClient: true)
        let responses = pieces(connection.serverBytes, fromClient: false)
        var merged: [(fromClient: Bool, epoch: Double, bytes: [UInt8])] = []
        var i = 0, j = 0
        while i < requests.count || j < responses.count {
            if j == responses.count || (i < requests.count && requests[i].epoch <= responses[j].epoch) {
                merged.append(requests[i]); i += 1
            } else {
                merged.append(responses[j]); j += 1
            }
        }
        return merged
    }
}
