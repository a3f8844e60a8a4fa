import Wire

/// Reading a call's messages, with grpc-go's INTERNAL answers when they do not decode (etcd's
/// clients and servers word them so).
extension WireMessage {
    /// A unary call's request, as a server reads it.
    public init(grpcUnaryRequest bytes: [UInt8]) throws(GRPCStatus) {
        do throws(WireError) { try self.init(serializedBytes: bytes) } catch {
            throw .internalError("grpc: error unmarshalling request: \(error)")
        }
    }

    /// A message received on a stream, or a unary call's response, as grpc-go's RecvMsg reads it.
    public init(grpcMessage bytes: [UInt8]) throws(GRPCStatus) {
        do throws(WireError) { try self.init(serializedBytes: bytes) } catch {
            throw .internalError("grpc: failed to unmarshal the received message \(error)")
        }
    }
}
