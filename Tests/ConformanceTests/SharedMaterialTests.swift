import Foundation
import TestSupport
import Testing
@testable import Conformance
import Wire

/// The shared conformance material sits beside the checkout (../shared); `make test` also runs
/// ferry-conformance over it. These tests keep the runners honest from `swift test`.
@Suite("conformance runners over ../shared")
struct SharedMaterialTests {
    static let shared: String = {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared").path
    }()

    static var present: Bool { canRun(needing: shared + "/vectors") }

    @Test("every raftpb vector passes", .enabled(if: present))
    func raftpbVectors() {
        let report = VectorRunner.run(path: Self.shared + "/vectors/raftpb.jsonl")
        #expect(report.failures == [])
        #expect(report.passed > 0)
    }

    @Test("every stream vector passes", .enabled(if: present))
    func streams() {
        let report = StreamRunner.run(directory: Self.shared + "/vectors/streams")
        #expect(report.failures == [])
        #expect(report.passed > 0)
    }

    @Test("a vector whose bytes do not match fails")
    func mismatchFails() throws {
        let vector = try JSONValue(parsing: #"{"type":"raftpb.HardState","hex":"080110001800","json":{"term":"2","vote":"0","commit":"0"}}"#)
        #expect(!VectorRunner.check(vector).isEmpty)
        let unknownType = try JSONValue(parsing: #"{"type":"raftpb.Nope","hex":""}"#)
        #expect(VectorRunner.check(unknownType) == ["unknown type raftpb.Nope"])
    }
}
