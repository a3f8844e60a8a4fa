import Foundation
import GRPC
import KV
import NIOCore
import NIOPosix
import TestSupport
import Testing
import Wire

/// A KV service straight on the state machine (no raft): enough for etcdctl to show that
/// Ferry's gRPC, on its own HTTP/2 engine, is what etcd's Go client expects.
final class DirectKV: @unchecked Sendable {
    let lock = NSLock()
    let store = KVStateMachine()
    var nextID: UInt64 = 1

    var methods: [String: GRPCMethod] {
        [
            "/etcdserverpb.KV/Put": GRPCServer.unary { (request: PutRequest, reply: @escaping @Sendable (Result<PutResponse, GRPCStatus>) -> Void) in
                do throws(KVError) { try RequestChecks().check(request) } catch {
                    reply(.failure(GRPCStatus(code: error.status.code, message: error.status.message)))
                    return
                }
                self.lock.lock()
                defer { self.lock.unlock() }
                self.nextID += 1
                let applied = self.store.apply(InternalRaftRequest(header: RequestHeader(id: self.nextID), put: request))
                switch applied.result {
                case .success(.put(let response)): reply(.success(response))
                case .failure(let error): reply(.failure(GRPCStatus(code: error.status.code, message: error.status.message)))
                default: reply(.failure(.internalError("unexpected result")))
                }
            },
            "/etcdserverpb.KV/Range": GRPCServer.unary { (request: RangeRequest, reply) in
                self.lock.lock()
                defer { self.lock.unlock() }
                do throws(KVError) { reply(.success(try self.store.range(request))) } catch {
                    reply(.failure(GRPCStatus(code: error.status.code, message: error.status.message)))
                }
            },
        ]
    }
}

@Suite("gRPC on Ferry's HTTP/2 engine")
struct EtcdctlTests {
    static let etcdctl = "/usr/bin/etcdctl"

    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.etcdctl)
        process.arguments = arguments
        process.environment = ["ETCDCTL_API": "3"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test("etcdctl puts and gets through it; an unknown method is UNIMPLEMENTED", .enabled(if: canRun(needing: etcdctl)))
    func etcdctlPutGet() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let kv = DirectKV()
        let server = try GRPCServer(methods: kv.methods).start(group: group, host: "127.0.0.1", port: 0).wait()
        defer { try? server.close().wait() }
        let endpoint = "127.0.0.1:\(server.localAddress!.port!)"
        let put = try run(["--endpoints", endpoint, "--command-timeout", "5s", "put", "greeting", "hello"])
        #expect(put.status == 0)
        #expect(put.output == "OK\n")
        let get = try run(["--endpoints", endpoint, "--command-timeout", "5s", "get", "greeting"])
        #expect(get.output == "greeting\nhello\n")
        let json = try run(["--endpoints", endpoint, "--command-timeout", "5s", "get", "greeting", "-w", "json"])
        #expect(json.output.contains("\"count\":1"))
        let empty = try run(["--endpoints", endpoint, "--command-timeout", "5s", "put", "", "x"])
        #expect(empty.status != 0)
        #expect(empty.output.contains("etcdserver: key is not provided"))
        let del = try run(["--endpoints", endpoint, "--command-timeout", "5s", "del", "greeting"])
        #expect(del.status != 0)
        #expect(del.output.contains("Unimplemented") || del.output.contains("unknown method"))
    }
}
