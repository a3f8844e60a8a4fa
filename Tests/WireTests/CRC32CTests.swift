import Testing
@testable import Wire

@Suite("CRC-32C as Go's crc32.Update with the Castagnoli table")
struct CRC32CTests {
    @Test("the check value of \"123456789\" is 0xE3069283, by hardware and by table")
    func checkValue() {
        let bytes = Array("123456789".utf8)
        #expect(CRC32C.update(0, bytes) == 0xE306_9283)
        #expect(bytes.withUnsafeBytes { CRC32C.updateByTable(0, $0) } == 0xE306_9283)
    }

    @Test("hardware and table agree on every length and alignment, and updates chain")
    func hardwareMatchesTable() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<4096).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        bytes.withUnsafeBytes { all in
            for start in 0..<9 {
                for count in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4000] {
                    let part = UnsafeRawBufferPointer(rebasing: all[start..<start + count])
                    #expect(CRC32C.update(7, part) == CRC32C.updateByTable(7, part))
                }
            }
            let whole = CRC32C.update(0, all)
            let chained = CRC32C.update(CRC32C.update(0, UnsafeRawBufferPointer(rebasing: all[..<1234])),
                                        UnsafeRawBufferPointer(rebasing: all[1234...]))
            #expect(whole == chained)
            #expect(whole == CRC32C.updateByTable(0, all))
        }
    }
}
