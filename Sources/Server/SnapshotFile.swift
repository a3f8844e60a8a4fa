import Crypto
import Wire

/// A saved snapshot as `Maintenance.Snapshot` streams it and `etcdctl snapshot save` stores it:
///
///     KV snapshot | zero padding | KV snapshot length (u64, little-endian) | SHA-256 of all before
///
/// the part before the SHA-256 being a whole number of 512-byte blocks. etcdctl takes a file
/// whose size is 32 past a multiple of 512 as one that ends in the SHA-256 of the rest, and
/// refuses any other (etcd's bbolt files are whole pages, so etcd pads nothing); the length
/// tells Ferry where its snapshot ends within the padding.
public enum SnapshotFile {
    static let block = 512
    static let digestSize = 32

    /// What the server streams before the digest: the KV snapshot padded to whole blocks
    /// (appended to the snapshot's own array, not a copy of it).
    static func database(kv: consuming [UInt8]) -> [UInt8] {
        let size = kv.count
        let unpadded = size + 8
        let padding = (block - unpadded % block) % block
        var out = consume kv
        out.reserveCapacity(unpadded + padding)
        out.append(contentsOf: repeatElement(0, count: padding))
        withUnsafeBytes(of: UInt64(size).littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    static func digest(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    /// The KV snapshot in a saved file, once its size and SHA-256 are checked.
    public static func kvSnapshot(file: [UInt8]) throws(SnapshotFileError) -> [UInt8] {
        guard file.count % block == digestSize, file.count >= block + digestSize else {
            throw .noChecksum(size: file.count)
        }
        let database = Array(file.dropLast(digestSize))
        let expected = Array(file.suffix(digestSize))
        let actual = digest(database)
        guard actual == expected else { throw .checksumMismatch(expected: expected, actual: actual) }
        let length = database.suffix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(database.count - 8), database[Int(length)..<(database.count - 8)].allSatisfy({ $0 == 0 }) else {
            throw .badLength(length)
        }
        return Array(database.prefix(Int(length)))
    }
}

/// Why a saved snapshot file was refused.
public enum SnapshotFileError: Error, Equatable, CustomStringConvertible {
    case noChecksum(size: Int)
    case checksumMismatch(expected: [UInt8], actual: [UInt8])
    case badLength(UInt64)

    public var description: String {
        switch self {
        case .noChecksum(let size):
            "sha256 checksum not found [bytes: \(size)]: not a snapshot saved from a Ferry member"
        case let .checksumMismatch(expected, actual):
            "expected sha256 \(hex(bytes: expected)), got \(hex(bytes: actual))"
        case .badLength(let length):
            "snapshot length \(length) does not fit the file, or the padding after it is not zero"
        }
    }
}
