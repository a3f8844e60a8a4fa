import Foundation
import NIOHTTP1
import Testing
import Wire
@testable import Gateway

/// The gateway's JSON as etcd 3.4's grpc-gateway writes and reads it (the expected texts are
/// what etcd 3.4.23 answered to the same requests, IDs aside).
@Suite("JSON gateway: etcd's JSON texts")
struct JSONGatewayJSONTests {
    @Test("a Range response: field names as the .proto has them, 64-bit integers as strings, zeros left out")
    func rangeResponse() throws {
        let response = RangeResponse(
            header: ResponseHeader(clusterID: 15875391935852295136, memberID: 7383792418829112008, revision: 2, raftTerm: 2),
            kvs: [KeyValue(key: Data("foo".utf8), createRevision: 2, modRevision: 2, version: 1, value: Data("bar".utf8))],
            count: 1)
        let route = try #require(JSONGatewayRoute.all["/v3/kv/range"])
        let text = GatewayJSON.text(try route.renderResponse(response.serializedBytes()))
        #expect(text == #"{"header":{"cluster_id":"15875391935852295136","member_id":"7383792418829112008","revision":"2","raft_term":"2"},"#
            + #""kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}],"count":"1"}"#)
    }

    @Test("a txn's nested responses, an empty nested header and a DELETE event as etcd writes them")
    func nestedAndEnums() throws {
        let txn = TxnResponse(
            header: ResponseHeader(revision: 20),
            responses: [ResponseOp(response: .responseDeleteRange(DeleteRangeResponse(header: ResponseHeader(revision: 20), deleted: 1))),
                        ResponseOp(response: .responseTxn(TxnResponse(header: ResponseHeader(), succeeded: true)))])
        #expect(GatewayJSON.text(txn.jsonValue(.protoName)) == #"{"header":{"revision":"20"},"responses":[{"response_delete_range":"#
            + #"{"header":{"revision":"20"},"deleted":"1"}},{"response_txn":{"header":{},"succeeded":true}}]}"#)
        let watch = WatchResponse(events: [Event(type: .delete, kv: KeyValue(key: Data("foo".utf8), modRevision: 4)),
                                           Event(kv: KeyValue(key: Data("foo".utf8), modRevision: 3))])
        #expect(GatewayJSON.text(watch.jsonValue(.protoName))
            == #"{"events":[{"type":"DELETE","kv":{"key":"Zm9v","mod_revision":"4"}},{"kv":{"key":"Zm9v","mod_revision":"3"}}]}"#)
    }

    @Test("strings are escaped as Go's encoding/json escapes them")
    func goEscaping() {
        let text = GatewayJSON.text(.array([.string("http://<&>:1"), .string("a\"b\\c\n\t\r\u{1}\u{8}\u{2028}é")]))
        #expect(text == #"["http://\u003c\u0026\u003e:1","a\"b\\c\n\t\r\u0001\u0008\u2028é"]"#)
    }

    @Test("error bodies: the gateway's {error, message, code} and a stream's error line")
    func errorBodies() {
        #expect(GatewayHTTP.errorBody(code: .notFound, message: "etcdserver: requested lease not found")
            == #"{"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5}"#)
        #expect(GatewayHTTP.streamErrorBody(code: .unavailable, message: "etcdserver: no leader")
            == #"{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}}"#)
        #expect(GatewayHTTP.status(forGRPCCode: .outOfRange) == .badRequest)
        #expect(GatewayHTTP.status(forGRPCCode: .failedPrecondition) == .preconditionFailed)
        #expect(GatewayHTTP.status(forGRPCCode: .unimplemented) == .notImplemented)
        #expect(GatewayHTTP.status(forGRPCCode: .dataLoss) == .internalServerError)
    }

    @Test("response heads: CORS and the handler's headers sorted, then Date, length, Connection")
    func heads() {
        let close = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v3/kv/range", headers: ["Connection": "close"])
        let head = GatewayHTTP.head(answering: close, .ok, headers: [("Grpc-Metadata-Content-Type", "application/grpc"), ("Content-Type", "application/json")],
                                    contentLength: 2)
        #expect(head.headers.map(\.name) == ["Access-Control-Allow-Headers", "Access-Control-Allow-Methods", "Access-Control-Allow-Origin",
                                             "Content-Type", "Grpc-Metadata-Content-Type", "Date", "Content-Length", "Connection"])
        #expect(head.headers["Connection"] == ["close"])
        #expect(GatewayHTTP.date(Date(timeIntervalSince1970: 1_796_047_720)) == "Mon, 30 Nov 2026 14:08:40 GMT")
    }

    @Test("request bodies: one value after another, pieces held until whole, a number ended by the body's end")
    func valueStream() throws {
        var stream = JSONValueStream()
        stream.append(Array(#" {"create_request":{"key":"YQ=="}} {"cancel_request":"#.utf8))
        #expect(try stream.next(ended: false) == .object([("create_request", .object([("key", .string("YQ=="))]))]))
        #expect(try stream.next(ended: false) == nil)
        stream.append(Array(#"{"watch_id":"1"}}["}", 2] "a\"}" 7"#.utf8))
        #expect(try stream.next(ended: false) == .object([("cancel_request", .object([("watch_id", .string("1"))]))]))
        #expect(try stream.next(ended: false) == .array([.string("}"), .number(2)]))
        #expect(try stream.next(ended: false) == .string("a\"}"))
        #expect(try stream.next(ended: false) == nil)
        #expect(try stream.next(ended: true) == .number(7))
        #expect(try stream.next(ended: true) == nil)
        #expect(Self.failure(#"{"key":"Zm9v""#) == "unexpected EOF")
    }

    @Test("syntax errors are worded as Go's scanner words them")
    func syntaxErrors() {
        #expect(Self.failure("{bad") == "invalid character 'b' looking for beginning of object key string")
        #expect(Self.failure(#"{"a" 1}"#) == "invalid character '1' after object key")
        #expect(Self.failure(#"{"a":1 "b"}"#) == #"invalid character '"' after object key:value pair"#)
        #expect(Self.failure("[1 2]") == "invalid character '2' after array element")
        #expect(Self.failure("tx") == "invalid character 'x' in literal true (expecting 'r')")
        #expect(Self.failure("-x") == "invalid character 'x' in numeric literal")
        #expect(Self.failure("1.e") == "invalid character 'e' after decimal point in numeric literal")
        #expect(Self.failure(#""a\q""#) == "invalid character 'q' in string escape code")
        #expect(Self.failure("\"\u{1}\"") == #"invalid character '\x01' in string literal"#)
        #expect(Self.failure("'") == #"invalid character '\'' looking for beginning of value"#)
    }

    static func failure(_ body: String) -> String? {
        var stream = JSONValueStream()
        stream.append(Array(body.utf8))
        do {
            _ = try stream.next(ended: true)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("an int64 given as a bare number longer than a Double holds is read exactly")
    func longIntegers() throws {
        var stream = JSONValueStream()
        stream.append(Array(#"{"ID":9223372036854775807,"TTL":600,"name":"12345678901234567890"}"#.utf8))
        let value = try #require(try stream.next(ended: true))
        let request = try LeaseGrantRequest(jsonValue: value, style: .protoName)
        #expect(request.id == Int64.max && request.ttl == 600)
        #expect(String(decoding: JSONValueStream.quotingLongIntegers(ArraySlice(#"[-9007199254740993,1.5e300,"9007199254740993"]"#.utf8)), as: UTF8.self)
            == #"["-9007199254740993",1.5e300,"9007199254740993"]"#)
    }

    @Test("paths: /v3/ as it is, /v3beta/ mapped onto it, the query left off, others not the gateway's")
    func paths() {
        #expect(JSONGatewayHandler.gatewayPath("/v3/kv/range?x=1") == "/v3/kv/range")
        #expect(JSONGatewayHandler.gatewayPath("/v3beta/kv/range") == "/v3/kv/range")
        #expect(JSONGatewayHandler.gatewayPath("/v3alpha/kv/range") == nil)
        #expect(JSONGatewayHandler.gatewayPath("/health") == nil)
        #expect(JSONGatewayRoute.all["/v3/maintenance/hash"]?.method == "/etcdserverpb.Maintenance/Hash")
        #expect(JSONGatewayRoute.all["/v3/kv/lease/timetolive"]?.method == "/etcdserverpb.Lease/LeaseTimeToLive")
    }

    @Test("incoming metadata: Authorization, and Grpc-Metadata-* without the prefix")
    func metadata() {
        let headers: HTTPHeaders = ["Authorization": "token", "Grpc-Metadata-Hasleader": "true", "Content-Type": "application/json"]
        #expect(JSONGatewayHandler.metadata(headers).map { "\($0.name)=\($0.value)" } == ["authorization=token", "hasleader=true"])
    }
}
