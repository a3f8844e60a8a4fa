import Wire

/// One frame of a stream channel's body.
public struct StreamFrame: Sendable {
    /// Where the frame starts in the body: the 8-byte length of a stream-message record, the
    /// type byte of a msgappv2 frame.
    public var offset: Int
    /// The frame's bytes as sent (length or type byte included).
    public var wireBytes: [UInt8]
    /// The raft message as etcd marshals it: the record's bytes on stream-message, the
    /// message etcd's msgappv2 decoder rebuilds, marshaled, on msgappv2.
    public var messageBytes: [UInt8]
    public var message: Message
}

/// Decodes a stream channel's body into frames with etcd's rules.
public enum StreamFrames {
    /// Every whole frame of `body`. A trailing partial frame (capture stopped mid-frame) is
    /// left out; `error` is set when a frame could not be decoded, and decoding stops there.
    /// On msgappv2, `local` is the dialer (`X-Server-From`) and `remote` the acceptor
    /// (`X-Raft-To`), the sender of the stream's messages.
    public static func decode(_ body: [UInt8], channel: RaftChannel, local: UInt64, remote: UInt64) -> (frames: [StreamFrame], error: WireError?) {
        var frames: [StreamFrame] = []
        do throws(WireError) {
            switch channel {
            case .streamMsgAppV2:
                var decoder = MsgAppV2Decoder(local: local, remote: remote)
                decoder.feed(body)
                while let next = try decoder.next() {
                    frames.append(StreamFrame(offset: next.offset, wireBytes: next.frame,
                                              messageBytes: next.message.serializedBytes(), message: next.message))
                }
            default:
                var decoder = MessageStreamDecoder()
                decoder.feed(body)
                while let next = try decoder.nextFrame() {
                    let message: Message
                    do throws(WireError) {
                        message = try Message(serializedBytes: next.payload)
                    } catch {
                        throw error.inStream(at: next.offset + 8)
                    }
                    frames.append(StreamFrame(offset: next.offset, wireBytes: MessageStream.frame(payload: next.payload),
                                              messageBytes: next.payload, message: message))
                }
            }
        } catch {
            return (frames, error)
        }
        return (frames, nil)
    }
}
