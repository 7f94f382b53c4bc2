import Foundation
import GRDB
import LienThongCore

extension NodeDatabase {
    /// Takes back this node's own events from its hub (`node recover`, on a new machine): appends
    /// them after the local head, which they must continue (seq by seq, each `prev` the hash before
    /// it, each hash right), with their checkpoints and the keys of their epochs, advances the clock
    /// past them, records them as stored at the hub and refreshes the dossiers they touch, in one
    /// transaction. Signatures are proved afterwards by `verify()`, as for any log.
    /// - Returns: the new local head seq.
    @discardableResult
    public func restoreOwn(_ events: [Event], checkpoints: [Checkpoint], keys: [String: String], now: Int64) throws(StoreError) -> Int {
        try immediateTransaction("take back own events") { db in
            guard let identity = try Self.fetchIdentity(db) else { throw StoreError.missingIdentity }
            let headRow = try Row.fetchOne(db, sql: "SELECT seq, hash FROM event WHERE origin = ? ORDER BY seq DESC LIMIT 1", arguments: [identity.origin])
            var seq: Int = headRow?["seq"] ?? 0
            var hash: String = headRow?["hash"] ?? Event.genesisHash
            if let epoch = try Self.pinKeys(db, origin: identity.origin, keys: keys) {
                throw StoreError.malformedFile(path: "hub answer", reason: "the hub's key for epoch \(epoch) differs from this node's; nothing was taken back")
            }
            for event in events {
                guard event.origin == identity.origin, event.seq == seq + 1, event.prev == hash, event.hashIsValid else {
                    throw StoreError.malformedFile(
                        path: "hub answer",
                        reason:
                            "\(event.origin) seq \(event.seq) does not continue this node's chain at seq \(seq) (or its hash is wrong); nothing was taken back")
                }
                seq = event.seq
                hash = event.hash
            }
            let touched = try Self.insertTakenBack(db, events: events, checkpoints: checkpoints.filter { $0.origin == identity.origin })
            try db.execute(
                sql: "UPDATE syncCursor SET storedSeq = ?, storedHash = ?, storedAt = ? WHERE id = 1 AND storedSeq < ?", arguments: [seq, hash, now, seq])
            for code in touched { try Self.refreshProjection(db, code: code) }
            return seq
        }
    }
}
