import Foundation
import KV
import Testing
import Wire

@Suite struct EntryTests {
    /// Bytes that are not an InternalRaftRequest give an error result (the decoder's reason,
    /// as etcd's unmapped errors reach clients: code Unknown) and change nothing; the next
    /// entry applies normally.
    @Test func malformedEntryIsAnErrorResultAndTheNextEntryApplies() throws {
        var driver = EntryDriver()
        driver.put("a", "1")
        let hash = try driver.machine.hashKV()
        for garbage: [UInt8] in [[0xFF, 0xFF, 0xFF], [0x0A, 0x05, 0x01], [0x22, 0x80]] {
            let applied = driver.machine.apply(entry: garbage)
            guard case .failure(let error) = applied.result, case .malformedEntry = error else {
                Issue.record("applied \(garbage) as \(applied.result)")
                continue
            }
            #expect(error.status.code == .unknown)
            #expect(!error.status.message.isEmpty)
        }
        #expect(try driver.machine.hashKV() == hash)
        #expect(throws: Never.self) { try driver.put("b", "2").get() }
        #expect(driver.machine.revision == 3)
    }

    /// An entry with no KV request (etcd panics on those) is refused without stopping apply.
    @Test func entryWithoutARequestIsRefused() throws {
        let machine = KVStateMachine()
        let applied = machine.apply(entry: InternalRaftRequest(header: RequestHeader(id: 9)).serializedBytes())
        #expect(applied.requestID == 9)
        #expect(throws: KVError.unsupportedRequest("no KV request in entry")) { try applied.result.get() }
    }

    /// The gRPC layer's checks: etcd's messages and codes, before anything is proposed.
    @Test func requestChecksAnswerEtcdsMessages() {
        let checks = RequestChecks()
        #expect(throws: KVError.leaseProvided) { try checks.check(PutRequest(key: Data("k".utf8), lease: 1, ignoreLease: true)) }
        #expect(throws: KVError.valueProvided) { try checks.check(PutRequest(key: Data("k".utf8), value: Data("v".utf8), ignoreValue: true)) }
        #expect(KVError.leaseProvided.status == GRPCStatus(code: .invalidArgument, message: "etcdserver: lease is provided"))
        // Puts in both branches of a nested txn do not overlap; a put beside a nested delete does.
        let put = RequestOp(request: .requestPut(PutRequest(key: Data("k".utf8))))
        let both = TxnRequest(success: [RequestOp(request: .requestTxn(TxnRequest(success: [put], failure: [put])))])
        #expect(throws: Never.self) { try checks.check(both) }
        let clash = TxnRequest(success: [put, RequestOp(request: .requestTxn(TxnRequest(success: [
            RequestOp(request: .requestDeleteRange(DeleteRangeRequest(key: Data("a".utf8), rangeEnd: Data("z".utf8))))])))])
        #expect(throws: KVError.duplicateKey) { try checks.check(clash) }
        #expect(throws: KVError.requestTooLarge) { try checks.checkSize(ofEntry: 2 << 20) }
    }
}
