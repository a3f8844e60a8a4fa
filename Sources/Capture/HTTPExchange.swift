/// One request on a peer connection and what came back, whatever the HTTP version.
public struct HTTPExchange: Sendable {
    /// The TCP connection (tshark's `tcp.stream`).
    public var connection: Int
    public var method: String
    public var path: String
    /// Header names and values in order; look up with `header(_:)`.
    public var requestHeaders: [(name: String, value: String)]
    /// The request body, de-chunked, each byte timed by the segment that first carried it.
    public var requestBody: TimedBytes
    /// Whether the whole request body was captured.
    public var requestComplete: Bool
    /// The response status code, or nil when no response was captured.
    public var status: Int?
    /// The response body as far as it was captured, de-chunked.
    public var responseBody: TimedBytes

    /// The first value of a request header (names compare case-insensitively).
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return requestHeaders.first { $0.name.lowercased() == lowered }?.value
    }
}
