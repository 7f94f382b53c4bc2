import Foundation
import GRDB
import LienThongStore

/// Read-only questions the simulator's invariants ask of the hub (issue 6).
extension HubDatabase {
    /// the dossiers `node` may see (its audience), sorted.
    public func audience(node: String) throws(StoreError) -> [String] {
        try snapshot("read an audience") { db in
            try String.fetchAll(db, sql: "SELECT dossier FROM dossierAudience WHERE origin = ? ORDER BY dossier", arguments: [node])
        }
    }

    /// feed entries that name the same event twice in one node's feed (must be none).
    public func duplicateFeedEntries() throws(StoreError) -> Int {
        try snapshot("count duplicate feed entries") { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM (SELECT node, eventPosition FROM feed GROUP BY node, eventPosition HAVING COUNT(*) > 1)") ?? 0
        }
    }
}
