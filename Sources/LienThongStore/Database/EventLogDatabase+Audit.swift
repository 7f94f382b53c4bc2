import Foundation
import GRDB
import LienThongCore

/// Read-only questions the simulator's invariants ask of a replica (issue 6): whole-log facts a
/// person would ask with `sqlite3`, kept here so the simulator reads through the store like the CLI.
extension EventLogDatabase {
    /// Each dossier's state hash in this replica's projection, by code.
    public func stateHashes() throws(StoreError) -> [String: String] {
        try snapshot("read state hashes") { db in
            Dictionary(
                try Row.fetchAll(db, sql: "SELECT code, stateHash FROM dossierView").map { ($0["code"] as String, $0["stateHash"] as String) },
                uniquingKeysWith: { first, _ in first })
        }
    }

    /// Every stored event's (origin, seq, hash), by origin and seq.
    public func eventIdentities() throws(StoreError) -> [(origin: String, seq: Int, hash: String)] {
        try snapshot("read event identities") { db in
            try Row.fetchAll(db, sql: "SELECT origin, seq, hash FROM event ORDER BY origin, seq").map { ($0["origin"], $0["seq"], $0["hash"]) }
        }
    }

    /// The hash each stored event names in `replaces` (a healed fork re-appended that event).
    public func replacedHashes() throws(StoreError) -> [String] {
        try snapshot("read replaced events") { db in try Self.fetchReplaced(db, origin: nil) }
    }

    /// The hashes named in `replaces` by the events of `origin` (all origins when nil), in
    /// arrival order, once per naming event.
    public static func fetchReplaced(_ db: Database, origin: String?) throws -> [String] {
        let filter = origin == nil ? "" : "origin = ? AND "
        return try Data.fetchAll(
            db, sql: "SELECT canonical FROM event WHERE \(filter)instr(CAST(canonical AS TEXT), '\"replaces\":') > 0 ORDER BY position",
            arguments: StatementArguments(origin.map { [$0] } ?? [])
        ).compactMap { try decodeStored($0).body["replaces"]?.stringValue }
    }

    /// Every `replaces` link this replica holds, as (the replaced hash, the hash of the event naming
    /// it): in its log, among its forked events (a re-appended event a later heal forked again) and
    /// in its clone evidence (hub). Links chain: an event a clerk saved may be re-appended, forked
    /// again and re-appended again, each step kept as evidence (DESIGN §5).
    public func replacementLinks() throws(StoreError) -> [(old: String, new: String)] {
        try snapshot("read replacement links") { db in
            var links: [(old: String, new: String)] = []
            for (table, order) in [("event", "position"), ("forkedEvent", "heal, origin, seq"), ("cloneEvidence", "suspicion, epoch, seq, hash")]
            where try db.tableExists(table) {
                for data in try Data.fetchAll(
                    db, sql: "SELECT canonical FROM \(table) WHERE instr(CAST(canonical AS TEXT), '\"replaces\":') > 0 ORDER BY \(order)")
                {
                    let event = try Self.decodeStored(data)
                    if let old = event.body["replaces"]?.stringValue { links.append((old, event.hash)) }
                }
            }
            return links
        }
    }
}
