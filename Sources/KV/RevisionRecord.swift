/// One change in the revision log: a put of a key's value or its deletion (a tombstone).
/// Plain data, stored by value in one array, so the log costs no object per revision.
struct RevisionRecord {
    var main: Int64
    var createRevision: Int64
    var version: Int64
    var lease: Int64
    var value: ByteSlice
    var sub: Int32
    var key: Int32
    /// Index in the log of the same key's previous record, -1 when there is none.
    var previous: Int32
    var isTombstone: Bool

    var revision: Revision { Revision(main: main, sub: Int64(sub)) }
}

/// The changes of one write transaction: every change gets revision `beginRevision + 1`,
/// and the store's revision advances only when there was a change (etcd's storeTxnWrite).
struct WriteTxn {
    let beginRevision: Int64
    /// Log indices of the changes, in order.
    var changes: [Int32] = []

    var revision: Int64 { beginRevision + 1 }

    /// The revision reads inside the transaction see: its own changes once it has any.
    var readRevision: Int64 { changes.isEmpty ? beginRevision : beginRevision + 1 }
}
