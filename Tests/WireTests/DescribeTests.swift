import Foundation
import Testing
@testable import Wire

@Suite("describe matches etcd's raft.DescribeMessage and DescribeEntry")
struct DescribeTests {
    @Test("a message prints ids in hex and only the parts etcd prints")
    func message() {
        let m = Message(type: .msgAppResp, to: 1, from: 0x2b, term: 5, logTerm: 4, index: 9, reject: true, rejectHint: 7)
        #expect(m.describe == "2b->1 MsgAppResp Term:5 Log:4/9 Rejected (Hint: 7)")
        let withCommit = Message(type: .msgHeartbeat, to: 2, from: 1, term: 3, commit: 8)
        #expect(withCommit.describe == "1->2 MsgHeartbeat Term:3 Log:0/0 Commit:8")
    }

    @Test("entries print their data with Go's %q and conf changes decoded")
    func entries() {
        #expect(Entry(term: 3, index: 11, data: Data("hello".utf8)).describe == "3/11 EntryNormal \"hello\"")
        let v2 = ConfChangeV2(changes: [
            ConfChangeSingle(type: .confChangeAddNode, nodeID: 4),
            ConfChangeSingle(type: .confChangeRemoveNode, nodeID: 1),
            ConfChangeSingle(type: .confChangeAddLearnerNode, nodeID: 5),
        ])
        #expect(Entry(term: 2, index: 9, type: .entryConfChangeV2, data: v2.serializedData()).describe == "2/9 EntryConfChangeV2 v4 r1 l5")
        #expect(Entry(term: 1, index: 2, type: EntryType(rawValue: 7)).describe == "1/2 7")
    }

    @Test("Go's %q escapes as strconv.Quote does")
    func goQuote() {
        #expect(GoQuote.quote(Array("tab\t nl\n q\" bs\\ nul\0".utf8)) == #""tab\t nl\n q\" bs\\ nul\x00""#)
        #expect(GoQuote.quote([0xff, 0xfe, 0x07, 0x7f]) == #""\xff\xfe\a\x7f""#)
        #expect(GoQuote.quote(Array("é 世".utf8)) == "\"é 世\"")
        // U+00A0 is a space but not U+0020: not printable to Go.
        #expect(GoQuote.quote(Array("\u{a0}".utf8)) == #""\u00a0""#)
        // A surrogate encoded in UTF-8 is invalid to Go: three \x bytes.
        #expect(GoQuote.quote([0xed, 0xa0, 0x80]) == #""\xed\xa0\x80""#)
    }
}
