import CEtcdProto
import Foundation

/// CRC-32C (Castagnoli): the checksum of etcd's WAL records, .snap files and HashKV.
/// `update` continues a running value the way Go's crc32.Update does, so records chain
/// across a whole log.
public enum CRC32C {
    private static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var crc = UInt32(i)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            tables[0][i] = crc
        }
        for i in 0..<256 {
            for t in 1..<8 { tables[t][i] = (tables[t - 1][i] >> 8) ^ tables[0][Int(tables[t - 1][i] & 0xff)] }
        }
        return tables
    }()

    /// Whether the CPU computes CRC-32C itself (SSE 4.2, arm64's CRC extension).
    static let inHardware = ferry_crc32c_available() != 0

    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard !inHardware else { return bytes.isEmpty ? crc : ferry_crc32c_update(crc, bytes.baseAddress, bytes.count) }
        return updateByTable(crc, bytes)
    }

    /// The portable way, slicing by 8 (and the reference the hardware's answers are tested against).
    static func updateByTable(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        var i = 0
        let n = bytes.count
        tables.withUnsafeBufferPointer { t in
            let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5], t6 = t[6], t7 = t[7]
            // Slicing by 8: eight table lookups per 8 bytes.
            while n - i >= 8 {
                let lo = c ^ (UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
                c = t7[Int(lo & 0xff)] ^ t6[Int((lo >> 8) & 0xff)] ^ t5[Int((lo >> 16) & 0xff)] ^ t4[Int(lo >> 24)]
                    ^ t3[Int(bytes[i + 4])] ^ t2[Int(bytes[i + 5])] ^ t1[Int(bytes[i + 6])] ^ t0[Int(bytes[i + 7])]
                i += 8
            }
            while i < n {
                c = t0[Int((c ^ UInt32(bytes[i])) & 0xff)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }

    public static func update(_ crc: UInt32, _ bytes: some ContiguousBytes) -> UInt32 {
        bytes.withUnsafeBytes { update(crc, $0) }
    }
}
