import LienThongCore

/// What went wrong in the node's storage: its database, its key files or its profile. Each case
/// says what failed and what to do next.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// No node was initialised at this directory.
    case notInitialized(directory: String)
    /// `node init` found an existing node.
    case alreadyInitialized(directory: String)
    /// The database does not have the node identity it needs.
    case missingIdentity
    /// The private key does not belong to this node's current epoch.
    case keyMismatch(expected: String, found: String)
    /// An event a writer tried to append was refused; nothing was written.
    case invalidEvent(EventValidationError)
    /// A writer tried to append an event that this version only stores (newer type or version).
    case notWritable(reason: String)
    /// The backup target exists already.
    case backupTargetExists(path: String)
    /// A file could not be read or written.
    case file(path: String, operation: String, reason: String)
    /// A file's content is not what it should be.
    case malformedFile(path: String, reason: String)
    /// A dossier command was refused (bad input or a forbidden transition); nothing was written.
    case workflow(WorkflowError)
    /// SQLite failed.
    case database(operation: String, reason: String)
    /// The disk holding the database is full (SQLite's `SQLITE_FULL`); the transaction was rolled
    /// back, nothing was written.
    case diskFull(operation: String)
    /// The disk failed while SQLite wrote or synced the transaction (`SQLITE_IOERR`). SQLite
    /// rolled it back, but a commit whose sync failed may still be found in the write-ahead log
    /// after a crash: the write may or may not have been saved, so the same request (with the same
    /// Idempotency-Key) must be sent again.
    case diskFailed(operation: String)
    /// An idempotency key came back with a different request; nothing was written.
    case idempotencyKeyReused(key: String)
    /// An operator's request the stored state does not allow (the reason says what to do);
    /// nothing was written.
    case refused(String)

    public var description: String {
        switch self {
        case .notInitialized(let directory):
            "no node at \(directory): run `lienthong node init` first, or pass --data-dir (or LIENTHONG_DATA_DIR) for the node's directory"
        case .alreadyInitialized(let directory):
            "a node is already initialised at \(directory): nothing was changed; choose another --data-dir to make a new node"
        case .missingIdentity:
            "the database has no node identity: it was not made by `lienthong node init`; restore the node's database from a backup"
        case .keyMismatch(let expected, let found):
            "the private key (public \(found.prefix(16))…) is not this node's key for its epoch (public \(expected.prefix(16))…): restore node.key from the node's backup"
        case .invalidEvent(let error):
            "event refused, nothing was written: \(error.description)"
        case .notWritable(let reason):
            "event refused, nothing was written: \(reason)"
        case .backupTargetExists(let path):
            "\(path) exists already: nothing was written; choose a new file name or remove the old backup first"
        case .file(let path, let operation, let reason):
            "could not \(operation) \(path): \(reason)"
        case .malformedFile(let path, let reason):
            "\(path) is malformed: \(reason)"
        case .workflow(let error):
            "\(error.description); nothing was written"
        case .database(let operation, let reason):
            "database error while trying to \(operation): \(reason)"
        case .diskFull(let operation):
            "the disk holding the database is full: nothing was written; free space on it, then do it again (it happened while trying to \(operation))"
        case .diskFailed(let operation):
            "the disk failed while saving (an I/O error, while trying to \(operation)): it may not have been saved; check the disk, "
                + "then send the same request again (with the same Idempotency-Key it is never saved twice)"
        case .idempotencyKeyReused(let key):
            "Idempotency-Key \(key) was used for a different request; nothing was written: send a new key for a new request"
        case .refused(let reason):
            "\(reason); nothing was written"
        }
    }
}
