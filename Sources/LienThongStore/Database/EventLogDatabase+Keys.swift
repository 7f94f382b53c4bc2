import Foundation
import GRDB
import LienThongCore

extension EventLogDatabase {
    /// The origin's public key for each epoch this database knows.
    public func originKeys(origin: String) throws(StoreError) -> [String: String] {
        try snapshot("read an origin's keys") { db in
            Dictionary(
                try Row.fetchAll(db, sql: "SELECT epoch, publicKey FROM originKey WHERE origin = ?", arguments: [origin]).map {
                    ($0["epoch"] as String, $0["publicKey"] as String)
                }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// The origin's checkpoints with seqs in `seqs`.
    public func checkpoints(origin: String, seqs: ClosedRange<Int>) throws(StoreError) -> [Checkpoint] {
        try snapshot("read checkpoints") { db in
            try Row.fetchAll(
                db, sql: "SELECT origin, epoch, seq, hash, signature FROM checkpoint WHERE origin = ? AND seq BETWEEN ? AND ? ORDER BY seq",
                arguments: [origin, seqs.lowerBound, seqs.upperBound]
            ).map { Checkpoint(origin: $0["origin"], epoch: $0["epoch"], seq: $0["seq"], hash: $0["hash"], signature: $0["signature"]) }
        }
    }

    // MARK: Taking events back: a node from its hub (restoreOwn, healFork), a hub from its nodes (recovery).

    /// Records each epoch's public key the hub sent that this node does not know yet.
    /// - Returns: an epoch whose key differs from the one this node holds (nothing then is
    ///   recorded for it: the caller refuses the whole answer).
    static func pinKeys(_ db: Database, origin: String, keys: [String: String]) throws -> String? {
        for (epoch, key) in keys.sorted(by: { $0.key < $1.key }) {
            let known = try String.fetchOne(db, sql: "SELECT publicKey FROM originKey WHERE origin = ? AND epoch = ?", arguments: [origin, epoch])
            if let known, known != key { return epoch }
            if known == nil {
                try db.execute(sql: "INSERT INTO originKey (origin, epoch, publicKey) VALUES (?, ?, ?)", arguments: [origin, epoch, key])
            }
        }
        return nil
    }

    /// Appends events the caller checked (chain, hashes) and the checkpoints over them, and moves
    /// the clock past them.
    /// - Returns: the dossiers they touch, in first-touched order.
    static func insertTakenBack(_ db: Database, events: [Event], checkpoints: [Checkpoint]) throws -> [String] {
        let insert = try db.cachedStatement(
            sql: "INSERT INTO event (origin, seq, epoch, hlc, dossier, type, hash, canonical) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        var touched: [String] = []
        var seen: Set<String> = []
        for event in events {
            try insert.execute(arguments: [
                event.origin, event.seq, event.epoch, event.hlc.hex, event.dossier, event.type, event.hash, Data(event.storedBytes),
            ])
            if let code = event.dossier, seen.insert(code).inserted { touched.append(code) }
        }
        for checkpoint in checkpoints {
            try db.execute(
                sql: "INSERT OR IGNORE INTO checkpoint (origin, seq, epoch, hash, signature) VALUES (?, ?, ?, ?, ?)",
                arguments: [checkpoint.origin, checkpoint.seq, checkpoint.epoch, checkpoint.hash, checkpoint.signature])
        }
        if let latest = events.map(\.hlc).max() { try advanceClock(db, past: latest) }
        return touched
    }

    /// Moves this replica's clock past `hlc`, so its next event sorts after it.
    public static func advanceClock(_ db: Database, past hlc: HLC) throws {
        let last = try String.fetchOne(db, sql: "SELECT lastHLC FROM clock WHERE id = 1").flatMap(HLC.init(hex:)) ?? .zero
        if hlc > last { try db.execute(sql: "UPDATE clock SET lastHLC = ? WHERE id = 1", arguments: [hlc.hex]) }
    }
}
