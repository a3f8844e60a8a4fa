import Foundation
import Storage
import Wire

/// Reads every record of a WAL directory's segments in name order as one CRC chain, as a
/// debugging tool sees them: each record with its file and offset, and each unreadable one
/// reported where it starts. With `continuePastDamage`, reading resumes after a bad record
/// (at the end of its frame when its length is sane, else at the next segment).
struct WALRecordWalker {
    struct Located {
        var file: String
        var offset: Int
        var record: WALRecord
    }

    struct Damage: CustomStringConvertible {
        var file: String
        var offset: Int
        var reason: String
        var description: String { "\(file) at byte \(offset): \(reason)" }
    }

    static let maxRecordSize: UInt64 = 10 * 1024 * 1024

    static func walk(directory: String, continuePastDamage: Bool) throws -> (records: [Located], damage: [Damage]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".wal") }.sorted()
        guard !names.isEmpty else { throw ToolError.unreadable("\(directory): no .wal files") }
        var records: [Located] = []
        var damage: [Damage] = []
        var crc: UInt32 = 0
        segments: for name in names {
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(name)") else {
                throw ToolError.unreadable("cannot read \(directory)/\(name)")
            }
            let bytes = [UInt8](data)
            var at = 0
            while at < bytes.count {
                func bad(_ reason: String, resume: Int?) -> Bool {
                    damage.append(Damage(file: name, offset: at, reason: reason))
                    guard continuePastDamage, let resume else { return false }
                    at = resume
                    return true
                }
                guard bytes.count - at >= 8 else {
                    if bad("incomplete length word", resume: nil) { continue }
                    break segments
                }
                let word = bytes[at..<(at + 8)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
                if word == 0 { break }
                let length = word & 0x00FF_FFFF_FFFF_FFFF
                let padding = word >> 63 == 1 ? Int((word >> 56) & 7) : 0
                guard length < Self.maxRecordSize else {
                    if bad("record length \(length) over etcd's 10 MiB limit", resume: nil) { continue segments }
                    break segments
                }
                let end = at + 8 + Int(length) + padding
                guard end <= bytes.count else {
                    if bad("record of \(length) bytes runs past the end of the file (torn write)", resume: nil) { continue segments }
                    break segments
                }
                let record: WALRecord
                do {
                    record = try WALRecord(serializedBytes: bytes[(at + 8)..<(at + 8 + Int(length))])
                } catch {
                    if bad("record does not decode: \(error)", resume: end) { continue }
                    break segments
                }
                if record.type == 4 {
                    if crc != 0, record.crc != crc, !bad("crc record \(record.crc) differs from the running crc \(crc)", resume: end) {
                        break segments
                    }
                    crc = record.crc
                } else {
                    let expected = record.data.map { CRC32C.update(crc, $0) } ?? crc
                    crc = expected
                    if record.crc != expected {
                        guard bad("record crc \(record.crc), chained crc of its data \(expected)", resume: end) else { break segments }
                        crc = record.crc
                    }
                }
                records.append(Located(file: name, offset: at, record: record))
                at = end
            }
        }
        return (records, damage)
    }
}
