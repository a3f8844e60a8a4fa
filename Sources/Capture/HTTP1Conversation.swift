/// Reads HTTP/1.1 requests and responses off the two byte streams of a connection, as etcd
/// 3.4's rafthttp uses them: bodies by Content-Length or chunked, a stream response's chunked
/// body running until the capture ends.
enum HTTP1Conversation {
    static func exchanges(_ connection: TCPConnection) -> [HTTPExchange] {
        var exchanges: [HTTPExchange] = []
        var client = Cursor(connection.clientBytes)
        while let head = client.head(), let (method, path) = requestLine(head.startLine) {
            let body = client.body(head.headers, hasBody: true)
            exchanges.append(HTTPExchange(
                connection: connection.number, method: method, path: path, requestHeaders: head.headers,
                requestBody: body.bytes, requestComplete: body.complete, status: nil, responseBody: TimedBytes()))
            if !body.complete { break }
        }
        var server = Cursor(connection.serverBytes)
        var index = 0
        while index < exchanges.count, let head = server.head() {
            guard let status = statusCode(head.startLine) else { break }
            if (100..<200).contains(status) { continue }
            let hasBody = exchanges[index].method != "HEAD" && status != 204 && status != 304
            let body = server.body(head.headers, hasBody: hasBody, untilClose: true)
            exchanges[index].status = status
            exchanges[index].responseBody = body.bytes
            index += 1
            if !body.complete { break }
        }
        return exchanges
    }

    private static func requestLine(_ line: String) -> (String, String)? {
        let parts = line.split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    private static func statusCode(_ line: String) -> Int? {
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1.") else { return nil }
        return Int(parts[1])
    }

    /// A position in one direction's bytes.
    private struct Cursor {
        let stream: TimedBytes
        var at = 0

        init(_ stream: TimedBytes) { self.stream = stream }

        /// The next start line and headers, or nil when no whole header block follows.
        mutating func head() -> (startLine: String, headers: [(name: String, value: String)])? {
            let bytes = stream.bytes
            var lines: [String] = []
            var lineStart = at
            var i = at
            while i + 1 < bytes.count {
                if bytes[i] == 13, bytes[i + 1] == 10 {
                    if i == lineStart {
                        at = i + 2
                        guard let first = lines.first else { return nil }
                        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
                            guard let colon = line.firstIndex(of: ":") else { return nil }
                            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingBlanks())
                        }
                        return (first, headers)
                    }
                    lines.append(String(decoding: bytes[lineStart..<i], as: UTF8.self))
                    lineStart = i + 2
                    i += 2
                } else {
                    i += 1
                }
            }
            return nil
        }

        /// The body after a header block: chunked, by Content-Length, to the end of the stream
        /// (`untilClose`, responses only) or empty.
        mutating func body(_ headers: [(name: String, value: String)], hasBody: Bool, untilClose: Bool = false) -> (bytes: TimedBytes, complete: Bool) {
            var out = TimedBytes()
            guard hasBody else { return (out, true) }
            func value(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
            if value("transfer-encoding")?.lowercased().contains("chunked") == true {
                return dechunk()
            }
            if let text = value("content-length"), let length = Int(text), length >= 0 {
                let end = min(stream.count, at + length)
                out.append(stream, at..<end)
                at = end
                return (out, out.count == length)
            }
            guard untilClose else { return (out, true) }
            out.append(stream, at..<stream.count)
            at = stream.count
            return (out, false)
        }

        private mutating func dechunk() -> (bytes: TimedBytes, complete: Bool) {
            var out = TimedBytes()
            let bytes = stream.bytes
            while true {
                guard let lineEnd = crlf(from: at) else { return (out, false) }
                let sizeText = String(decoding: bytes[at..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(String(sizeText).trimmingBlanks(), radix: 16), size >= 0 else { return (out, false) }
                at = lineEnd + 2
                if size == 0 {
                    while let end = crlf(from: at) {
                        let empty = end == at
                        at = end + 2
                        if empty { return (out, true) }
                    }
                    return (out, true)
                }
                let start = at
                let end = min(bytes.count, start + size)
                out.append(stream, start..<end)
                at = end
                guard end == start + size, at + 2 <= bytes.count, bytes[at] == 13, bytes[at + 1] == 10 else { return (out, false) }
                at += 2
            }
        }

        private func crlf(from start: Int) -> Int? {
            let bytes = stream.bytes
            var i = start
            while i + 1 < bytes.count {
                if bytes[i] == 13, bytes[i + 1] == 10 { return i }
                i += 1
            }
            return nil
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingBlanks() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
